"""inspectpipe: machine verification of motor-vehicle inspection evidence."""

__version__ = "0.1.0"
