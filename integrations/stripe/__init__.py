"""Stripe: the PaymentService port over the official `stripe` package, and a stateful emulator of the API it reads."""
