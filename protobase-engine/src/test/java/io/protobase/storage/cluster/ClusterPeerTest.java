package io.protobase.storage.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Members written as text, the way configuration lists them. */
class ClusterPeerTest {

    @Test
    void aMemberIsReadFromItsIdHostAndPortAndFromItsOwnToString() {
        ClusterPeer peer = ClusterPeer.valueOf("2@10.0.0.12:9871");
        assertThat(peer).isEqualTo(new ClusterPeer(2, "10.0.0.12", 9871));
        assertThat(ClusterPeer.valueOf(peer.toString())).isEqualTo(peer);
        assertThat(ClusterPeer.valueOf(" 3@[fd00::3]:9871 ")).isEqualTo(new ClusterPeer(3, "fd00::3", 9871));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = { "10.0.0.12:9871 | <node id>@<host>:<port>",
            "2@10.0.0.12 | <node id>@<host>:<port>", "two@10.0.0.12:9871 | node id 'two' is not a number",
            "2@10.0.0.12:http | port 'http' is not a number", "0@10.0.0.12:9871 | node id must be between 1",
            "2@10.0.0.12:70000 | must be between 1 and 65535" })
    void aMalformedMemberIsRefusedSayingWhichPartIsWrong(String text, String message) {
        assertThatThrownBy(() -> ClusterPeer.valueOf(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
