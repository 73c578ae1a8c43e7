package io.protobase.spring.test.autoconfigure.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A small application whose data layer {@code @DataProtoBaseTest} tests on its own. */
@SpringBootApplication
public class SliceApplication {
}
