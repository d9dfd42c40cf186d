"""Modelling: the model kinds behind one protocol (`models`), tuning, resampling, calibration, business cost and
threshold, metrics and plots (`evaluation`), a whole fit (`training`) and the champion gate (`gate`)."""
