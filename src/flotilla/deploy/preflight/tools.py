"""Tools: terraform's version against the features used, the AWS provider in the plugin dir."""
