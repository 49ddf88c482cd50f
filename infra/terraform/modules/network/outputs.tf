output "vpc_id" {
  description = "The VPC the ALB and tasks run in."
  value       = local.create ? aws_vpc.this[0].id : var.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets (ALB)."
  value       = local.create ? aws_subnet.public[*].id : var.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets (tasks)."
  value       = local.create ? aws_subnet.private[*].id : var.private_subnet_ids
}

output "nat_gateway_ids" {
  description = "NAT gateways this module created."
  value       = aws_nat_gateway.this[*].id
}

output "vpc_cidr" {
  description = "CIDR of the VPC (the tasks trust X-Forwarded-* only from it)."
  value       = local.create ? aws_vpc.this[0].cidr_block : data.aws_vpc.given[0].cidr_block
}
