"""Tracking: the MLflow store (`store`), what a training run records (`runs`), the logged pyfunc model
(`model_log`) and the champion behind the registry alias (`champion`), each written once."""
