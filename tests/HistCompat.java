// The reference side of tests/lua/test_hist_compat.lua: HdrHistogram's own
// Java implementation (Debian libhdrhistogram-java) decodes each histogram
// that dockscript encoded and prints what it reads, in the format the Lua
// test parses, then encodes it again for dockscript to decode.
//   java -cp /usr/share/java/hdrhistogram.jar HistCompat.java INPUT
// INPUT: one "NAME BASE64" per line.
import java.io.BufferedReader;
import java.io.FileReader;
import java.nio.ByteBuffer;
import java.util.Base64;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

public class HistCompat {
    static final double[] PERCENTILES = {0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99,
                                         99.999, 100};

    public static void main(String[] args) throws Exception {
        try (BufferedReader in = new BufferedReader(new FileReader(args[0]))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ", 2);
                report(f[0], f[1]);
            }
        }
    }

    static void report(String name, String b64) throws Exception {
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64));
        Histogram h = Histogram.decodeFromCompressedByteBuffer(buf, 0);
        System.out.println("== " + name);
        System.out.println("count " + h.getTotalCount());
        System.out.println("sigfigs " + h.getNumberOfSignificantValueDigits());
        System.out.println("min " + h.getMinValue());
        System.out.println("max " + h.getMaxValue());
        System.out.println("mean " + h.getMean());
        System.out.println("stdev " + h.getStdDeviation());
        for (double p : PERCENTILES)
            System.out.println("p " + p + " " + h.getValueAtPercentile(p));
        for (HistogramIterationValue v : h.percentiles(5))
            System.out.println("row " + v.getValueIteratedTo() + " "
                               + v.getPercentileLevelIteratedTo() + " "
                               + v.getTotalCountToThisValue());
        ByteBuffer out = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(out);
        byte[] bytes = new byte[n];
        out.flip();
        out.get(bytes);
        System.out.println("enc " + Base64.getEncoder().encodeToString(bytes));
    }
}
