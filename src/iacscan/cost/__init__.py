"""The cost model (issue 17): dollars from the topology.

Imported only when a usage profile, a rate or a price table is given: a plain scan never loads
it. It reads the model (``Analysis``), the loaded ``Template``s (for the properties a price needs,
resolved with ``iacscan.resolve``) and walks Step Functions definitions with
``iacscan.topology.asl``; it imports nothing else of ours.
"""
