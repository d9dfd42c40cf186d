"""Reports people read: the shared HTML shell (`html`: page, style, figures, tables) and the EDA report (`eda`)."""
