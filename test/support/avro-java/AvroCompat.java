import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Apache Avro's own verdict on reader/writer pairs, the one Confluent Schema Registry gives.
 * Reads JSON lines {"id", "reader", "writer"} on stdin and writes one JSON line per pair:
 * {"id", "verdict": "compatible" | "incompatible" | "invalid" | "error", "detail"}.
 * "invalid" means Avro refuses to parse one of the schemas; "error" that the check itself threw.
 * Run with the jars of org.apache.avro:avro on the class path: java -cp 'libs/*' AvroCompat.java
 */
public class AvroCompat {
  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null;) {
      if (line.isBlank()) continue;
      JsonNode pair = json.readTree(line);
      ObjectNode result = json.createObjectNode();
      result.set("id", pair.get("id"));
      Schema reader;
      Schema writer;
      try {
        // One parser per schema: a parser remembers the names it has seen, and both sides share names.
        reader = new Schema.Parser().parse(json.writeValueAsString(pair.get("reader")));
        writer = new Schema.Parser().parse(json.writeValueAsString(pair.get("writer")));
      } catch (Exception e) {
        out.append(json.writeValueAsString(result.put("verdict", "invalid").put("detail", e.getMessage()))).append('\n');
        continue;
      }
      try {
        SchemaPairCompatibility c = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        boolean ok = c.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
        StringBuilder detail = new StringBuilder();
        for (Incompatibility i : c.getResult().getIncompatibilities()) {
          if (detail.length() > 0) detail.append("; ");
          detail.append(i.getType()).append(" at ").append(i.getLocation()).append(": ").append(i.getMessage());
        }
        result.put("verdict", ok ? "compatible" : "incompatible").put("detail", detail.toString());
      } catch (Exception e) {
        result.put("verdict", "error").put("detail", e.toString());
      }
      out.append(json.writeValueAsString(result)).append('\n');
    }
    System.out.print(out);
  }
}
