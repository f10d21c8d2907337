variable "ep" { type = string }
variable "ak" {
  type    = string
  default = "x"
}
variable "sk" {
  type    = string
  default = "x"
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = var.ak
  secret_key                  = var.sk
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {
    sqs = var.ep
    sns = var.ep
  }
}
resource "aws_sqs_queue" "dlq" { name = "tf-dlq" }
resource "aws_sqs_queue" "main" {
  name           = "tf-main"
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 3 })
}
resource "aws_sqs_queue" "fifo" {
  name                        = "tf-q.fifo"
  fifo_queue                  = true
  content_based_deduplication = true
}
resource "aws_sns_topic" "t" { name = "tf-topic" }
resource "aws_sns_topic_subscription" "s" {
  topic_arn     = aws_sns_topic.t.arn
  protocol      = "sqs"
  endpoint      = aws_sqs_queue.main.arn
  filter_policy = jsonencode({ kind = ["a"] })
}
resource "aws_sqs_queue_policy" "p" {
  queue_url = aws_sqs_queue.main.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "sns.amazonaws.com" }, Action = "sqs:SendMessage", Resource = aws_sqs_queue.main.arn, Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.t.arn } } }]
  })
}
