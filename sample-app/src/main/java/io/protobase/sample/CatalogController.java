package io.protobase.sample;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.math.BigDecimal;
import java.util.List;

/** REST API of the catalogue: {@code /items}. */
@RestController
@RequestMapping("/items")
public class CatalogController {

    private final Catalog catalog;

    public CatalogController(Catalog catalog) {
        this.catalog = catalog;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public Item create(@RequestBody Item item) {
        return catalog.create(item);
    }

    @GetMapping("/{id}")
    public ResponseEntity<Item> get(@PathVariable String id) {
        return ResponseEntity.of(catalog.get(id));
    }

    /** All items, or those of {@code category}, or those priced between {@code min} and {@code max}. */
    @GetMapping
    public List<Item> list(@RequestParam(required = false) String category,
            @RequestParam(required = false) BigDecimal min, @RequestParam(required = false) BigDecimal max) {
        if (category != null) {
            return catalog.byCategory(category);
        }
        if (min != null || max != null) {
            return catalog.byPriceRange(min != null ? min : BigDecimal.ZERO,
                    max != null ? max : BigDecimal.valueOf(Long.MAX_VALUE));
        }
        return catalog.list();
    }

    @GetMapping("/statistics")
    public List<CategoryStatistics> statistics() {
        return catalog.statistics();
    }

    @PutMapping("/{id}")
    public ResponseEntity<Item> update(@PathVariable String id, @RequestBody Item item) {
        return ResponseEntity.of(catalog.update(id, item));
    }

    @DeleteMapping("/{id}")
    public ResponseEntity<Void> delete(@PathVariable String id) {
        return catalog.delete(id) ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }
}
