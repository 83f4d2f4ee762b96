import static org.apache.spark.sql.functions.approx_count_distinct;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The Spark peer of Oxbow's batch benchmark: reads the benchmark lake's Parquet files and computes the four views of
 * the web-analytics example (page_views_hourly, country_daily, status_minutely over http_logs; sensor_hourly over
 * sensor_readings) with the DataFrame API in local mode, each collected to the driver so the whole computation
 * runs. Prints one result line ({@code OXBOW_BENCH_RESULT {json}}) when the session has stopped: timings, per-view
 * totals, and the process's own CPU time and peak resident memory from /proc/self (as the benchmark's Node
 * children report theirs).
 *
 * <p>Usage: {@code java -cp '<spark jars>/*:<classes>' OxbowSparkViews <lake dir> <master, e.g. local[2]> <start ms>
 * <percentile accuracy>} where the start time is the launcher's wall clock when it spawned the JVM: {@code
 * jvmStartSeconds} is from then until {@code main} runs. The accuracy is {@code percentile_approx}'s: its relative
 * (rank) error is 1/accuracy.
 */
public final class OxbowSparkViews {
  private static final long MINUTE_MS = 60_000L;
  private static final long HOUR_MS = 3_600_000L;
  private static final long DAY_MS = 86_400_000L;
  /**
   * {@code approx_count_distinct}'s relative standard deviation for a HyperLogLog++ of 2^precision registers, the
   * views' own precision: Spark takes {@code p = ceil(2 log2(1.106 / rsd))}, so {@code 1.106 / 2^(p/2)} (a hair
   * above, against rounding) gives exactly p — 12 for page_views_hourly, 14 (the default) for country_daily.
   */
  private static double rsdOfPrecision(int precision) {
    return 1.106 / Math.pow(2, precision / 2.0) * 1.001;
  }

  private static final double PAGE_VIEWS_RSD = rsdOfPrecision(12);

  private static final double COUNTRY_DAILY_RSD = rsdOfPrecision(14);

  private OxbowSparkViews() {}

  /** The start of the bucket of {@code ts} (epoch ms), as the views compute it (positive, so plain division). */
  private static Column bucket(long bucketMs) {
    return col("ts").minus(col("ts").mod(lit(bucketMs))).alias("bucket");
  }

  private static Dataset<Row> pageViewsHourly(Dataset<Row> events, int accuracy) {
    return events
        .groupBy(col("path").alias("key"), bucket(HOUR_MS))
        .agg(
            count(lit(1)).alias("hits"),
            sum(when(col("status").geq(500), 1).otherwise(0)).alias("errors"),
            sum(col("bytes")).alias("bytes"),
            approx_count_distinct(col("userId"), PAGE_VIEWS_RSD).alias("uniqueUsers"),
            percentile_approx(
                    col("latencyMs"), functions.array(lit(0.5), lit(0.95), lit(0.99)), lit(accuracy))
                .alias("latencyMs"));
  }

  private static Dataset<Row> countryDaily(Dataset<Row> events) {
    return events
        .groupBy(col("country").alias("key"), bucket(DAY_MS))
        .agg(
            count(lit(1)).alias("hits"),
            approx_count_distinct(col("userId"), COUNTRY_DAILY_RSD).alias("uniqueUsers"));
  }

  private static Dataset<Row> statusMinutely(Dataset<Row> events) {
    Column statusClass = concat(floor(col("status").divide(100)).cast("string"), lit("xx"));
    return events
        .groupBy(statusClass.alias("key"), bucket(MINUTE_MS))
        .agg(count(lit(1)).alias("hits"));
  }

  private static Dataset<Row> sensorHourly(Dataset<Row> readings) {
    return readings
        .groupBy(col("sensorId").alias("key"), bucket(HOUR_MS))
        .agg(
            count(lit(1)).alias("count"),
            avg(col("temperature")).alias("temperature"),
            min(col("temperature")).alias("min"),
            max(col("temperature")).alias("max"));
  }

  /** User + system CPU ms of this process (every thread), from /proc/self/stat (USER_HZ 100). */
  private static long cpuMs() throws IOException {
    String stat = new String(Files.readAllBytes(Paths.get("/proc/self/stat")));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10L;
  }

  /** Peak resident set size (VmHWM) of this process in bytes, from /proc/self/status. */
  private static long peakRssBytes() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024L;
      }
    }
    return 0L;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      System.err.println("usage: OxbowSparkViews <lake dir> <master> <launcher start ms> <accuracy>");
      System.exit(2);
    }
    String lake = args[0];
    String master = args[1];
    long launchedAtMs = Long.parseLong(args[2]);
    int accuracy = Integer.parseInt(args[3]);
    long mainAtMs = System.currentTimeMillis();

    long sessionStart = System.nanoTime();
    SparkSession spark =
        SparkSession.builder()
            .appName("oxbow-bench-batch")
            .master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.adaptive.enabled", "true")
            .getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    double sessionSeconds = (System.nanoTime() - sessionStart) / 1e9;

    long queryStart = System.nanoTime();
    Dataset<Row> events = spark.read().parquet(lake + "/events/http_logs/*/*.parquet");
    Dataset<Row> readings = spark.read().parquet(lake + "/events/sensor_readings/*/*.parquet");
    Map<String, Dataset<Row>> views = new LinkedHashMap<>();
    views.put("page_views_hourly", pageViewsHourly(events, accuracy));
    views.put("country_daily", countryDaily(events));
    views.put("status_minutely", statusMinutely(events));
    views.put("sensor_hourly", sensorHourly(readings));
    List<String> viewJson = new ArrayList<>();
    for (Map.Entry<String, Dataset<Row>> view : views.entrySet()) {
      long start = System.nanoTime();
      List<Row> rows = view.getValue().collectAsList();
      double seconds = (System.nanoTime() - start) / 1e9;
      String countColumn = view.getKey().equals("sensor_hourly") ? "count" : "hits";
      long total = 0;
      for (Row row : rows) total += row.getLong(row.fieldIndex(countColumn));
      viewJson.add(
          String.format(
              java.util.Locale.ROOT,
              "{\"name\":\"%s\",\"rows\":%d,\"total\":%d,\"seconds\":%.3f}",
              view.getKey(), rows.size(), total, seconds));
    }
    double querySeconds = (System.nanoTime() - queryStart) / 1e9;
    String version = spark.version();
    spark.stop();
    long endMs = System.currentTimeMillis();
    System.out.println(
        String.format(
            java.util.Locale.ROOT,
            "OXBOW_BENCH_RESULT {\"sparkVersion\":\"%s\",\"javaVersion\":\"%s\",\"master\":\"%s\","
                + "\"accuracy\":%d,\"jvmStartSeconds\":%.3f,\"sessionSeconds\":%.3f,\"querySeconds\":%.3f,"
                + "\"views\":[%s],\"endedAtMs\":%d,\"cpuMs\":%d,\"peakRssBytes\":%d}",
            version,
            System.getProperty("java.version"),
            master,
            accuracy,
            (mainAtMs - launchedAtMs) / 1e3,
            sessionSeconds,
            querySeconds,
            String.join(",", viewJson),
            endMs,
            cpuMs(),
            peakRssBytes()));
  }
}
