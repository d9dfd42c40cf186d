"""Input and output: atomic writes of files and folders (`atomic`) and the catalog of every stage output
(`catalog`): its path, reader, writer, and the "run stage X first" error."""
