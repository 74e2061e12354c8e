"""What iacscan knows about AWS resource types, below both topology and classification.

Topology reads a type's role and whether it is a node; classification reads its level, idle kind
and deciding rules. Both read the one table in ``data/resources.yaml`` (loaded from its JSON copy).
"""
