using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Image;

/// <summary>Registers the image nodes.</summary>
public static class ImageNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<LoadImage>();
        registry.Add<SaveImage>();
        registry.Add<PreviewImage>();
        registry.Add<ImageScale>();
        registry.Add<ImageScaleBy>();
        registry.Add<ImageInvert>();
        registry.Add<ImageBatch>();
        registry.Add<ImagePadForOutpaint>();
        registry.Add<EmptyImage>();
        registry.Add<ImageCrop>();
        registry.Add<ImageBlend>();
        registry.Add<ImageBlur>();
        registry.Add<ImageSharpen>();
        registry.Add<ImageQuantize>();
        registry.Add<ImageCompositeMasked>();
        registry.Add<RebatchImages>();
        registry.Add<ImageFlip>();
        registry.Add<ImageRotate>();
        registry.Add<RepeatImageBatch>();
        registry.Add<Canny>();
        registry.Add<SaveImageWebsocket>();
        registry.Add<ImageFromBatch>();
        registry.Add<GetImageSize>();
        registry.Add<ImageAddNoise>();
        registry.Add<ImageStitch>();
        registry.Add<ResizeAndPadImage>();
        registry.Add<Morphology>();
        registry.Add<ImageRGBToYUV>();
        registry.Add<ImageYUVToRGB>();
        registry.Add<LoadImageOutput>();
        registry.Add<SaveAnimatedPNG>();
        registry.Add<SaveAnimatedWEBP>();
        registry.Add<BatchImagesNode>();
        registry.Add<ResizeImageMaskNode>();
    }
}
