"""Tracking: the MLflow store (`store`), what a training run records (`runs`), the logged pyfunc model
(`model_log`), the link from run.json to its run (`train_run`), the champion behind the registry alias
(`champion`), promotion by an approver (`promotion`) and the history of alias moves kept in the registry
(`history`), each written once."""
