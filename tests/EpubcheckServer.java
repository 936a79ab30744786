// One JVM that checks many EPUBs: reads "BOOK<TAB>REPORT.json[<TAB>OPTION]..." lines on
// stdin, runs EPUBCheck on BOOK with a JSON report (and the options, e.g. -u), and
// answers "done <exit code>" on stdout.
// Starting the JVM and loading EPUBCheck's schemas takes seconds; a warm check of a
// small book takes a fraction of one. Run as a single-file program:
//   java -cp epubcheck.jar EpubcheckServer.java
import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

public class EpubcheckServer {
    public static void main(String[] args) throws Exception {
        PrintStream protocol = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        // whatever EPUBCheck prints must not mix with the answers
        System.setOut(System.err);
        BufferedReader requests = new BufferedReader(
                new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = requests.readLine()) != null) {
            String[] parts = line.split("\t");
            String[] command = new String[parts.length + 2];
            command[0] = parts[0];
            command[1] = "-q";
            command[2] = "--json";
            command[3] = parts[1];
            System.arraycopy(parts, 2, command, 4, parts.length - 2);
            int code;
            try {
                code = new EpubChecker().run(command);
            } catch (RuntimeException e) {
                e.printStackTrace();
                code = -1;
            }
            protocol.println("done " + code);
        }
    }
}
