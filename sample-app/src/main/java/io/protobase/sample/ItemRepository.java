package io.protobase.sample;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.math.BigDecimal;
import java.util.List;

/** The catalogue's items; the derived queries read the category and price indexes. */
public interface ItemRepository extends ProtoBaseRepository<Item, String> {

    List<Item> findByCategory(String category);

    List<Item> findByPriceBetweenOrderByPriceAsc(BigDecimal min, BigDecimal max);
}
