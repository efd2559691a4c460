"""Thin Kafka wiring both services use: clients, topics and the one record serializer."""
