/**
 * prom-client's parts, imported one by one: its index also loads the Pushgateway client, the
 * cluster aggregator and the default collectors, and with them `zlib`, `http`, `cluster` and
 * `v8` (about 25 ms of a Lambda cold start). The package has no `exports` map, so the paths
 * are its files, each a CommonJS module whose `module.exports` is the one value; the types are
 * the package's own.
 */
declare module 'prom-client/lib/registry.js' {
  import { Registry } from 'prom-client';
  export default Registry;
}
declare module 'prom-client/lib/counter.js' {
  import { Counter } from 'prom-client';
  export default Counter;
}
declare module 'prom-client/lib/gauge.js' {
  import { Gauge } from 'prom-client';
  export default Gauge;
}
declare module 'prom-client/lib/histogram.js' {
  import { Histogram } from 'prom-client';
  export default Histogram;
}
declare module 'prom-client/lib/defaultMetrics.js' {
  import { collectDefaultMetrics } from 'prom-client';
  export default collectDefaultMetrics;
}
