// Runs one HDFS NameNode and one DataNode in a single JVM for the test service kit. Compiled by
// tests/services/hdfs.ts at install time.
// Usage: java -cp <conf dir>:<this class>:<hadoop jars> FsdsHdfsLauncher format|run
// `format` formats the NameNode (in its own JVM: formatting registers metrics that a NameNode started later in
// the same JVM would collide with); `run` starts both nodes and blocks until the process is told to stop.

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.server.datanode.DataNode;
import org.apache.hadoop.hdfs.server.namenode.NameNode;
import org.apache.hadoop.metrics2.lib.DefaultMetricsSystem;

class FsdsHdfsLauncher {
  public static void main(String[] args) {
    if (args.length != 1 || !(args[0].equals("format") || args[0].equals("run"))) {
      System.err.println("usage: FsdsHdfsLauncher format|run");
      System.exit(2);
    }
    try {
      Configuration conf = new HdfsConfiguration();
      if (args[0].equals("format")) {
        NameNode.format(conf);
        System.exit(0);
      }
      // Both nodes register JVM metrics; mini-cluster mode lets two daemons share one JVM's metrics system.
      DefaultMetricsSystem.setMiniClusterMode(true);
      NameNode nameNode = NameNode.createNameNode(new String[0], conf);
      DataNode dataNode = DataNode.createDataNode(new String[0], conf);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        dataNode.shutdown();
        nameNode.stop();
      }, "fsds-hdfs-shutdown"));
      System.err.println("fsds: NameNode and DataNode started");
      nameNode.join();
    } catch (Throwable error) {
      // A half-started NameNode keeps non-daemon threads alive; end the JVM so the kit sees the failure.
      error.printStackTrace();
      System.exit(1);
    }
  }
}
