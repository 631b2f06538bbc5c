import type { JsonSchema } from "@tscog/sdk";

/** The OpenAPI document a predictor's server publishes at `/openapi.json`. */
export type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, unknown>;
  components: { schemas: Record<string, JsonSchema> };
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ "application/json": { schema } });
const dateTime = (title: string) => ({ title, type: "string", format: "date-time" });

function predictionOperation(summary: string, operationId: string, withId: boolean) {
  return {
    summary,
    operationId,
    ...(withId
      ? { parameters: [{ required: true, schema: { title: "Prediction ID", type: "string" }, name: "prediction_id", in: "path" }] }
      : {}),
    requestBody: { content: json(ref("PredictionRequest")) },
    responses: {
      "200": { description: "Successful Response", content: json(ref("PredictionResponse")) },
      "422": { description: "Validation Error", content: json(ref("HTTPValidationError")) },
    },
  };
}

/** Builds the Cog-compatible OpenAPI document from the Input and Output schemas. */
export function buildOpenApi(options: {
  input: JsonSchema;
  output: JsonSchema;
  enums?: Record<string, JsonSchema>;
  title?: string;
  version?: string;
}): OpenApiDocument {
  return {
    openapi: "3.0.2",
    info: { title: options.title ?? "Cog", version: options.version ?? "0.1.0" },
    paths: {
      "/": { get: { summary: "Root", operationId: "root__get", responses: { "200": { description: "Successful Response", content: json({}) } } } },
      "/health-check": {
        get: { summary: "Healthcheck", operationId: "healthcheck_health_check_get", responses: { "200": { description: "Successful Response", content: json({}) } } },
      },
      "/predictions": { post: predictionOperation("Predict", "predict_predictions_post", false) },
      "/predictions/{prediction_id}": {
        put: predictionOperation("Predict Idempotent", "predict_idempotent_predictions__prediction_id__put", true),
      },
      "/predictions/{prediction_id}/cancel": {
        post: {
          summary: "Cancel",
          operationId: "cancel_predictions__prediction_id__cancel_post",
          parameters: [{ required: true, schema: { title: "Prediction ID", type: "string" }, name: "prediction_id", in: "path" }],
          responses: { "200": { description: "Successful Response", content: json({}) } },
        },
      },
      "/shutdown": {
        post: { summary: "Start Shutdown", operationId: "start_shutdown_shutdown_post", responses: { "200": { description: "Successful Response", content: json({}) } } },
      },
    },
    components: {
      schemas: {
        Input: options.input,
        Output: options.output,
        ...(options.enums ?? {}),
        PredictionRequest: {
          title: "PredictionRequest",
          type: "object",
          properties: {
            input: ref("Input"),
            id: { title: "Id", type: "string" },
            created_at: dateTime("Created At"),
            output_file_prefix: { title: "Output File Prefix", type: "string" },
            webhook: { title: "Webhook", maxLength: 65536, minLength: 1, type: "string", format: "uri" },
            webhook_events_filter: { type: "array", items: ref("WebhookEvent"), default: ["start", "output", "logs", "completed"] },
          },
        },
        PredictionResponse: {
          title: "PredictionResponse",
          type: "object",
          properties: {
            input: ref("Input"),
            output: ref("Output"),
            id: { title: "Id", type: "string" },
            version: { title: "Version", type: "string" },
            created_at: dateTime("Created At"),
            started_at: dateTime("Started At"),
            completed_at: dateTime("Completed At"),
            logs: { title: "Logs", type: "string", default: "" },
            error: { title: "Error", type: "string" },
            status: ref("Status"),
            metrics: { title: "Metrics", type: "object" },
          },
        },
        Status: { title: "Status", enum: ["starting", "processing", "succeeded", "canceled", "failed"], type: "string", description: "An enumeration." },
        WebhookEvent: { title: "WebhookEvent", enum: ["start", "output", "logs", "completed"], type: "string", description: "An enumeration." },
        HTTPValidationError: { title: "HTTPValidationError", type: "object", properties: { detail: { title: "Detail", type: "array", items: ref("ValidationError") } } },
        ValidationError: {
          title: "ValidationError",
          required: ["loc", "msg", "type"],
          type: "object",
          properties: {
            loc: { title: "Location", type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
            msg: { title: "Message", type: "string" },
            type: { title: "Error Type", type: "string" },
          },
        },
      },
    },
  };
}
