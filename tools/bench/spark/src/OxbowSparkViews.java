import static org.apache.spark.sql.functions.approx_count_distinct;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

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
 * The Spark peer of Oxbow's batch benchmark: reads the benchmark lake's http_logs Parquet files and computes the
 * three http views (page_views_hourly, country_daily, status_minutely) with the DataFrame API in local mode, each
 * collected to the driver so the whole computation runs. Prints one JSON line with timings and per-view totals.
 *
 * <p>Usage: {@code java -cp '<spark jars>/*:<classes>' OxbowSparkViews <lake dir> <master, e.g. local[2]> <start ms>}
 * where the start time is the launcher's wall clock when it spawned the JVM: {@code jvmStartSeconds} is from then
 * until {@code main} runs, {@code wallSeconds} until the session stopped.
 */
public final class OxbowSparkViews {
  private static final long MINUTE_MS = 60_000L;
  private static final long HOUR_MS = 3_600_000L;
  private static final long DAY_MS = 86_400_000L;

  private OxbowSparkViews() {}

  /** The start of the bucket of {@code tsMs}, as the views compute it (tsMs is positive, so plain division). */
  private static Column bucket(long bucketMs) {
    return col("tsMs").minus(col("tsMs").mod(lit(bucketMs))).alias("bucket");
  }

  private static Dataset<Row> pageViewsHourly(Dataset<Row> events) {
    return events
        .groupBy(col("path").alias("key"), bucket(HOUR_MS))
        .agg(
            count(lit(1)).alias("hits"),
            sum(when(col("status").geq(500), 1).otherwise(0)).alias("errors"),
            sum(col("bytes")).alias("bytes"),
            approx_count_distinct(col("userId")).alias("uniqueUsers"),
            percentile_approx(
                    col("latencyMs"), functions.array(lit(0.5), lit(0.95), lit(0.99)), lit(10000))
                .alias("latencyMs"));
  }

  private static Dataset<Row> countryDaily(Dataset<Row> events) {
    return events
        .groupBy(col("country").alias("key"), bucket(DAY_MS))
        .agg(count(lit(1)).alias("hits"), approx_count_distinct(col("userId")).alias("uniqueUsers"));
  }

  private static Dataset<Row> statusMinutely(Dataset<Row> events) {
    Column statusClass = concat(floor(col("status").divide(100)).cast("string"), lit("xx"));
    return events
        .groupBy(statusClass.alias("key"), bucket(MINUTE_MS))
        .agg(count(lit(1)).alias("hits"));
  }

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: OxbowSparkViews <lake dir> <master> <launcher start ms>");
      System.exit(2);
    }
    String lake = args[0];
    String master = args[1];
    long launchedAtMs = Long.parseLong(args[2]);
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
    Map<String, Dataset<Row>> views = new LinkedHashMap<>();
    views.put("page_views_hourly", pageViewsHourly(events));
    views.put("country_daily", countryDaily(events));
    views.put("status_minutely", statusMinutely(events));
    List<String> viewJson = new ArrayList<>();
    for (Map.Entry<String, Dataset<Row>> view : views.entrySet()) {
      long start = System.nanoTime();
      List<Row> rows = view.getValue().collectAsList();
      double seconds = (System.nanoTime() - start) / 1e9;
      long hits = 0;
      for (Row row : rows) hits += row.getLong(row.fieldIndex("hits"));
      viewJson.add(
          String.format(
              "{\"name\":\"%s\",\"rows\":%d,\"hits\":%d,\"seconds\":%.3f}",
              view.getKey(), rows.size(), hits, seconds));
    }
    double querySeconds = (System.nanoTime() - queryStart) / 1e9;
    spark.stop();
    long endMs = System.currentTimeMillis();
    System.out.println(
        String.format(
            "OXBOW_SPARK_RESULT {\"sparkVersion\":\"%s\",\"javaVersion\":\"%s\",\"master\":\"%s\","
                + "\"jvmStartSeconds\":%.3f,\"sessionSeconds\":%.3f,\"querySeconds\":%.3f,"
                + "\"wallSeconds\":%.3f,\"views\":[%s]}",
            spark.version(),
            System.getProperty("java.version"),
            master,
            (mainAtMs - launchedAtMs) / 1e3,
            sessionSeconds,
            querySeconds,
            (endMs - launchedAtMs) / 1e3,
            String.join(",", viewJson)));
  }
}
