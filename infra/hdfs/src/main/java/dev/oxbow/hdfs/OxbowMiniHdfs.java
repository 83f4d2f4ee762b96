package dev.oxbow.hdfs;

import java.io.File;
import java.util.concurrent.CountDownLatch;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * Starts a single-node HDFS (one NameNode, one DataNode) on loopback with fixed ports, WebHDFS enabled,
 * prints one ready line and runs until SIGTERM/SIGINT, when it shuts the cluster down cleanly.
 *
 * <p>Usage: {@code java -cp <jars>:<classes> dev.oxbow.hdfs.OxbowMiniHdfs --base-dir DIR [--rpc-port 29820]
 * [--http-port 29870]}. The ready line is {@code OXBOW_HDFS_READY rpc=<port> http=<port> webhdfs=<url>}.
 * A base directory that already holds a formatted cluster (marker file {@code .oxbow-formatted}) is reused
 * without formatting, so data survives a restart.
 */
public final class OxbowMiniHdfs {
  private OxbowMiniHdfs() {}

  public static void main(String[] args) throws Exception {
    String baseDir = null;
    int rpcPort = 29820;
    int httpPort = 29870;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = i + 1 < args.length ? args[i + 1] : null;
      if (value == null) usage("missing value for " + arg);
      switch (arg) {
        case "--base-dir" -> baseDir = value;
        case "--rpc-port" -> rpcPort = Integer.parseInt(value);
        case "--http-port" -> httpPort = Integer.parseInt(value);
        default -> usage("unknown argument " + arg);
      }
      i++;
    }
    if (baseDir == null) usage("--base-dir is required");

    File base = new File(baseDir).getAbsoluteFile();
    if (!base.isDirectory() && !base.mkdirs()) usage("cannot create " + base);
    File marker = new File(base, ".oxbow-formatted");
    boolean format = !marker.exists();

    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getPath());
    conf.setBoolean("dfs.webhdfs.enabled", true);
    conf.setBoolean("dfs.permissions.enabled", false);
    conf.setInt("dfs.replication", 1);
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.http-bind-host", "127.0.0.1");
    conf.set("dfs.datanode.hostname", "127.0.0.1");
    conf.setBoolean("dfs.namenode.datanode.registration.ip-hostname-check", false);
    // Keep the small single-node cluster light on a shared machine.
    conf.setInt("dfs.namenode.handler.count", 4);
    conf.setInt("dfs.datanode.handler.count", 4);
    conf.setInt("dfs.namenode.service.handler.count", 2);

    long started = System.nanoTime();
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, base)
            .nameNodePort(rpcPort)
            .nameNodeHttpPort(httpPort)
            .numDataNodes(1)
            .format(format)
            .manageNameDfsDirs(true)
            .manageDataDfsDirs(true)
            .waitSafeMode(true)
            .build();
    cluster.waitActive();
    if (format && !marker.createNewFile() && !marker.exists()) usage("cannot write " + marker);

    // Stop on SIGTERM/SIGINT from the main thread, not from a JVM shutdown hook: Hadoop's own hooks
    // refuse to be removed while the JVM is already shutting down and the DataNode then stops noisily.
    CountDownLatch stopRequested = new CountDownLatch(1);
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> stopRequested.countDown());
    sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> stopRequested.countDown());

    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.println(
        "OXBOW_HDFS_READY rpc="
            + cluster.getNameNodePort()
            + " http="
            + httpPort
            + " webhdfs=http://127.0.0.1:"
            + httpPort
            + "/webhdfs/v1 startMillis="
            + millis);
    System.out.flush();
    stopRequested.await();
    System.out.println("OXBOW_HDFS_STOPPING");
    System.out.flush();
    cluster.shutdown();
    System.out.println("OXBOW_HDFS_STOPPED");
    System.out.flush();
    System.exit(0);
  }

  private static void usage(String message) {
    System.err.println("OxbowMiniHdfs: " + message);
    System.err.println(
        "usage: OxbowMiniHdfs --base-dir DIR [--rpc-port 29820] [--http-port 29870]");
    System.exit(2);
  }
}
