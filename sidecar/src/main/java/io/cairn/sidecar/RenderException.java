package io.cairn.sidecar;

/** The config could not be turned into files; the previous good files stay. */
public final class RenderException extends Exception {
    public RenderException(String message) {
        super(message);
    }

    public RenderException(String message, Throwable cause) {
        super(message, cause);
    }
}
