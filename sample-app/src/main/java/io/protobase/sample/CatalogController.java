package io.protobase.sample;

import jakarta.validation.Valid;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
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

/**
 * REST API of the catalogue: {@code /items}. Bodies are validated before they reach the
 * {@link Catalog}; every 4xx answer is an RFC 9457 problem ({@link CatalogProblems}).
 */
@RestController
@RequestMapping("/items")
public class CatalogController {

    private final Catalog catalog;

    public CatalogController(Catalog catalog) {
        this.catalog = catalog;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public Item create(@Valid @RequestBody ItemRequest item) {
        return catalog.create(item);
    }

    @GetMapping("/{id}")
    public Item get(@PathVariable String id) {
        return catalog.get(id).orElseThrow(() -> new ItemNotFoundException(id));
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

    /** Replaces the whole item: the body needs every field, as for {@code POST}. */
    @PutMapping("/{id}")
    public Item replace(@PathVariable String id, @Valid @RequestBody ItemRequest item) {
        return catalog.replace(id, item).orElseThrow(() -> new ItemNotFoundException(id));
    }

    /** Changes only the fields the body names. */
    @PatchMapping("/{id}")
    public Item update(@PathVariable String id, @RequestBody ItemChanges changes) {
        return catalog.update(id, changes).orElseThrow(() -> new ItemNotFoundException(id));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void delete(@PathVariable String id) {
        if (!catalog.delete(id)) {
            throw new ItemNotFoundException(id);
        }
    }
}
