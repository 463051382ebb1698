"""Registrar adapters: the manual process (default), the LogicBoxes/ResellerClub HTTP API, and a stateful fake."""
