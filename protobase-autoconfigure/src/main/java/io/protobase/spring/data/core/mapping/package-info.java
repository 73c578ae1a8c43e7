/**
 * Spring Data mapping metadata of ProtoBase entities: the mapping context, persistent entities
 * (with their root collection names) and properties (ids, versions, indexes, references). Depends on
 * Spring Data Commons' mapping model and the annotations package.
 */
package io.protobase.spring.data.core.mapping;
