civicgrid methods
civicgrid methods show thursday_talks
