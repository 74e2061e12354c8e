"""iacscan: what does this infrastructure actually do, and is it still serverless?"""

__version__ = "0.1.0"
