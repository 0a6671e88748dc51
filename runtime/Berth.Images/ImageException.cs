namespace Berth.Images;

/// <summary>An error that reads as a sentence (naming the digest, file or field at fault); the command line prints
/// its message and exits 1.</summary>
public sealed class ImageException(string message, Exception? inner = null) : Exception(message, inner);
