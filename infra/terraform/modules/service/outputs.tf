output "url" {
  description = "Public URL of the service (ALB URL plus its path)."
  value       = "${var.alb_url}${var.service.path}"
}

output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}

output "target_group_arn" {
  description = "Target group ARN."
  value       = aws_lb_target_group.this.arn
}

output "listener_rule_arn" {
  description = "The rule forwarding <path> and <path>/* to the target group."
  value       = aws_lb_listener_rule.forward.arn
}

output "task_definition_arn" {
  description = "Task definition revision the service runs."
  value       = aws_ecs_task_definition.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the service."
  value       = aws_cloudwatch_log_group.this.name
}

output "security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}

output "execution_role_arn" {
  description = "Execution role (image pull, logs, secrets)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "Task role (empty by default)."
  value       = aws_iam_role.task.arn
}

output "alarm_names" {
  description = "The p99 latency and 5xx rate alarms."
  value       = [aws_cloudwatch_metric_alarm.latency.alarm_name, aws_cloudwatch_metric_alarm.errors.alarm_name]
}
