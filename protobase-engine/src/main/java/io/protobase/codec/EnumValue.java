package io.protobase.codec;

/**
 * An enum constant read from storage whose enum type this process has not registered. ProtoBase
 * never loads a class named in the data; register the enum type with the object space (or store a
 * constant of it once in this process) to get the real constant back.
 *
 * @param type the binary name of the enum type recorded when the value was written
 * @param name the constant's name
 */
public record EnumValue(String type, String name) {
}
