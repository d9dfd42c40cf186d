"""Pure statistics of PD validation: DeLong AUC intervals and tests (`delong`), calibration tests of default
rates (`calibration_tests`: binomial, Jeffreys, Hosmer-Lemeshow, Spiegelhalter, ECE) and the master scale
(`master_scale`: rating grades, Herfindahl concentration, migration matrix). numpy/scipy/pandas only."""
