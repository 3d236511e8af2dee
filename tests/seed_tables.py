"""Shape tables printed (as text) in the seed notes, /work/shared/seeds/*.txt.

Each table is the output of the seeds' walk over the top-level children:

    X = torch.rand(size=SEED_TABLE_INPUTS[key])      # randn in some seeds
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, 'output shape:\t', X.shape)

recorded as ``(class name, output shape)`` pairs.  ``SEED_TABLE_MODELS`` names
the factory in tests/seed_models.py (and its keyword arguments) that the
table belongs to.

Only tables printed as text are here.  Printed in the notes: LeNet, AlexNet,
VGG-11, ResNet-18.  Not printed (code only, or the output is a screenshot):
NiN (001, 002, 004), GoogLeNet (002, 004), DenseNet (002), the small VGG
(ratio=4; 003 prints only its conv_arch), LeNet with batch norm, AlexNet in
001 (screenshot).
"""

SEED_TABLES = {
    # 001_8b1ff151bb545969.txt, "卷积神经网络（LeNet）", input 1x1x28x28.
    # (004 runs the same loop, with a leading Reshape, but shows no output.)
    "lenet": [
        ("Conv2d", (1, 6, 28, 28)),
        ("Sigmoid", (1, 6, 28, 28)),
        ("AvgPool2d", (1, 6, 14, 14)),
        ("Conv2d", (1, 16, 10, 10)),
        ("Sigmoid", (1, 16, 10, 10)),
        ("AvgPool2d", (1, 16, 5, 5)),
        ("Flatten", (1, 400)),
        ("Linear", (1, 120)),
        ("Sigmoid", (1, 120)),
        ("Linear", (1, 84)),
        ("Sigmoid", (1, 84)),
        ("Linear", (1, 10)),
    ],
    # 000_1e403afead961751.txt "7.1.3 容量控制和预处理" and
    # 003_5d368124d07eda45.txt "AlexNet" (identical tables), input 1x1x224x224.
    # 003's code has no padding on the first conv, but padding 0 and 1 both
    # give 54x54 here, so the table matches the book's padding=1 as well.
    "alexnet": [
        ("Conv2d", (1, 96, 54, 54)),
        ("ReLU", (1, 96, 54, 54)),
        ("MaxPool2d", (1, 96, 26, 26)),
        ("Conv2d", (1, 256, 26, 26)),
        ("ReLU", (1, 256, 26, 26)),
        ("MaxPool2d", (1, 256, 12, 12)),
        ("Conv2d", (1, 384, 12, 12)),
        ("ReLU", (1, 384, 12, 12)),
        ("Conv2d", (1, 384, 12, 12)),
        ("ReLU", (1, 384, 12, 12)),
        ("Conv2d", (1, 256, 12, 12)),
        ("ReLU", (1, 256, 12, 12)),
        ("MaxPool2d", (1, 256, 5, 5)),
        ("Flatten", (1, 6400)),
        ("Linear", (1, 4096)),
        ("ReLU", (1, 4096)),
        ("Dropout", (1, 4096)),
        ("Linear", (1, 4096)),
        ("ReLU", (1, 4096)),
        ("Dropout", (1, 4096)),
        ("Linear", (1, 10)),
    ],
    # 000_1e403afead961751.txt "7.2.2 VGG网络" and 003_5d368124d07eda45.txt
    # "VGG网络" (identical tables): full VGG-11 (ratio=1), input 1x1x224x224.
    "vgg11": [
        ("Sequential", (1, 64, 112, 112)),
        ("Sequential", (1, 128, 56, 56)),
        ("Sequential", (1, 256, 28, 28)),
        ("Sequential", (1, 512, 14, 14)),
        ("Sequential", (1, 512, 7, 7)),
        ("Flatten", (1, 25088)),
        ("Linear", (1, 4096)),
        ("ReLU", (1, 4096)),
        ("Dropout", (1, 4096)),
        ("Linear", (1, 4096)),
        ("ReLU", (1, 4096)),
        ("Dropout", (1, 4096)),
        ("Linear", (1, 10)),
    ],
    # 001_8b1ff151bb545969.txt "ResNet模型", input 1x1x224x224
    # (the model is trained at resize=96, but the walk is printed at 224).
    "resnet18": [
        ("Sequential", (1, 64, 56, 56)),
        ("Sequential", (1, 64, 56, 56)),
        ("Sequential", (1, 128, 28, 28)),
        ("Sequential", (1, 256, 14, 14)),
        ("Sequential", (1, 512, 7, 7)),
        ("AdaptiveAvgPool2d", (1, 512, 1, 1)),
        ("Flatten", (1, 512)),
        ("Linear", (1, 10)),
    ],
}

# Input shape each table was printed for.
SEED_TABLE_INPUTS = {
    "lenet": (1, 1, 28, 28),
    "alexnet": (1, 1, 224, 224),
    "vgg11": (1, 1, 224, 224),
    "resnet18": (1, 1, 224, 224),
}

# Table key -> (factory name in seed_models, keyword arguments).
SEED_TABLE_MODELS = {
    "lenet": ("lenet", {}),
    "alexnet": ("alexnet", {}),
    "vgg11": ("vgg11", {"ratio": 1}),
    "resnet18": ("resnet18", {}),
}

# Seed file(s) each table was taken from.
SEED_TABLE_SOURCES = {
    "lenet": ["001_8b1ff151bb545969.txt"],
    "alexnet": ["000_1e403afead961751.txt", "003_5d368124d07eda45.txt"],
    "vgg11": ["000_1e403afead961751.txt", "003_5d368124d07eda45.txt"],
    "resnet18": ["001_8b1ff151bb545969.txt"],
}

# Single-block shapes printed in the notes (not whole-model walks):
# (factory/class name in seed_models, constructor args, constructor kwargs,
#  input shape, printed output shape).
SEED_BLOCK_SHAPES = [
    # 001 "残差块": ``Y.shape # torch.Size([4, 3, 6, 6])``
    ("Residual", (3, 3), {}, (4, 3, 6, 6), (4, 3, 6, 6)),
    # 001 "残差块": ``blk(X).shape # torch.Size([4, 6, 3, 3])``
    ("Residual", (3, 6), {"use_1x1conv": True, "strides": 2},
     (4, 3, 6, 6), (4, 6, 3, 3)),
]
