// An sqs-consumer worker: sends each email it takes from QUEUE_URL, and reports it on DONE_URL.
// sqs-consumer deletes a message once handleMessage resolves; when it throws, SQS redelivers the
// message after its visibility timeout.
//
//   npm install
//   SQS_ENDPOINT_URL=http://127.0.0.1:9324 QUEUE_URL=... DONE_URL=... node worker.mjs
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";

const sqs = new SQSClient({
  endpoint: process.env.SQS_ENDPOINT_URL ?? "http://127.0.0.1:9324",
  region: process.env.AWS_REGION ?? "us-east-1",
  // Any key works while densho's authentication is off.
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "test",
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
  },
});

async function sendEmail(message) {
  const email = JSON.parse(message.Body);
  // (The real work would go here.)
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: process.env.DONE_URL,
      MessageBody: JSON.stringify({ sent: email.to }),
    }),
  );
  return message;
}

const consumer = Consumer.create({
  queueUrl: process.env.QUEUE_URL,
  sqs,
  handleMessage: sendEmail,
  batchSize: 10,
  waitTimeSeconds: 1,
});
consumer.on("error", (err) => console.error("sqs error:", err.message));
consumer.on("processing_error", (err) => console.error("processing error:", err.message));
consumer.on("started", () => console.log("worker started"));
process.on("SIGTERM", () => {
  consumer.stop();
  process.exit(0);
});
consumer.start();
