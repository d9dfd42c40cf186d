"""The relationship managers' Gradio app over the champion model (run: `make app` or `python app/main.py`)."""
