# The ECS cluster every service runs in. Log groups belong to each service (its own retention
# and the only one its execution role may write to).

resource "aws_ecs_cluster" "this" {
  name = var.name
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }
}
