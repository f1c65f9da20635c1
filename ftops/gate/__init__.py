"""The gate: may a candidate model take a name from the model (or recording) it replaces?"""
