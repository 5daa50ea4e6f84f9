"""The JSON API under /api/v1: routers, response models and the OpenAPI 3.1 document."""
