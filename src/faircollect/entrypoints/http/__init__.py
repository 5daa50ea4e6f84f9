"""What the API and the web pages share: who is asking, what a route requires, problem details."""
