// The AWS SDK for JavaScript v3 against densho: queue life cycle, attributes, SNS to SQS.
// Endpoint and keys from EP, AK, SK (scripts/check-clients sets them).
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand, ListQueuesCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand } from "@aws-sdk/client-sns";
const endpoint = process.env.EP;
const credentials = { accessKeyId: process.env.AK || "x", secretAccessKey: process.env.SK || "x" };
const sqs = new SQSClient({ endpoint, region: "us-east-1", credentials });
const sns = new SNSClient({ endpoint, region: "us-east-1", credentials });
const name = "js-" + Date.now();
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello js", MessageAttributes: { a: { DataType: "String", StringValue: "b" } } }));
let r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, MessageAttributeNames: ["All"] }));
if (r.Messages?.[0]?.Body !== "hello js") throw new Error("bad receive " + JSON.stringify(r));
await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: r.Messages[0].ReceiptHandle }));
const lq = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "js-" }));
if (!lq.QueueUrls.includes(QueueUrl)) throw new Error("list");
const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": TopicArn } } }] }) } }));
await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: arn, Attributes: { RawMessageDelivery: "true" } }));
await sns.send(new PublishCommand({ TopicArn, Message: "via sns" }));
r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
if (r.Messages?.[0]?.Body !== "via sns") throw new Error("sns->sqs " + JSON.stringify(r));
console.log("JS SDK v3 OK", QueueUrl);
