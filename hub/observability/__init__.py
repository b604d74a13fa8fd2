"""What an operator watches the hub with: metrics and logs."""
