package io.protobase.sample;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the catalogue's web API, under {@code catalog.*}.
 *
 * @param maxRequestBody the largest request body accepted; a larger one is answered 413 without
 *        being read whole. The default holds the largest valid item with room to spare.
 */
@ConfigurationProperties("catalog")
public record CatalogProperties(@DefaultValue("16KB") DataSize maxRequestBody) {
}
