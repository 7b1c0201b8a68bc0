// Records a counter, an observable gauge and a histogram with the
// OpenTelemetry JS SDK and exports them once, OTLP/HTTP protobuf with gzip,
// to the URL given as the first argument (a Strata insert node).
// tests/e2e/otlp_test.cc runs this and reads the series back.
// Exit code 0 when the export succeeded; the error on stderr otherwise.
'use strict';

const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');

async function main() {
  const url = process.argv[2];
  if (!url) throw new Error('usage: node export.js <OTLP metrics URL>');
  const exporter = new OTLPMetricExporter({ url, compression: 'gzip', timeoutMillis: 10000 });
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 3600 * 1000, // export only on forceFlush
    exportTimeoutMillis: 10000,
  });
  const provider = new MeterProvider({
    // The SDK's own attributes (telemetry.sdk.*) plus ours.
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': 'otel-e2e',
        'service.instance.id': 'e2e-1',
        'deployment.environment': 'test',
      }),
    ),
    readers: [reader],
  });
  const meter = provider.getMeter('strata-e2e', '1.0.0');

  const requests = meter.createCounter('http.requests', { unit: '{request}' });
  requests.add(3, { 'http.route': '/a' });
  requests.add(2, { 'http.route': '/a' });
  requests.add(4, { 'http.route': '/b' });

  const depth = meter.createObservableGauge('queue.depth', { unit: '{item}' });
  depth.addCallback((result) => result.observe(7, { queue: 'orders' }));

  const duration = meter.createHistogram('request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 1, 10] },
  });
  for (const v of [0.3, 7, 30]) duration.record(v);

  await provider.forceFlush(); // rejects when the export fails
  console.log('exported');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`export failed: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
