pip install -e .
python -m pytest
