package dev.unroll.dsl.model;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an {@code Optional} record component that {@link ModelPrinter} leaves out when it is empty:
 * a feature most models lack (an embedding table), added so that the printed models without it,
 * and their golden files, stay as they were.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
@interface PrintedWhenPresent {}
