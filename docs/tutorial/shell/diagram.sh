civicgrid methods show thursday_talks --format mermaid
