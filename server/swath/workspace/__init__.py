from swath.workspace.workspace import HashedFile, PathRefused, Workspace

__all__ = ["HashedFile", "PathRefused", "Workspace"]
