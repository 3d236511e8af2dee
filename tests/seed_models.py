"""The seed models: hand-written PyTorch code from the study notes in
/work/shared/seeds/*.txt (Chinese notes on "Dive into Deep Learning",
zh-v2, chapters 5-7), reproduced layer for layer.

These are the ground truth that specc's compiled models are tested against.
Layers, their order, their arguments and the forward logic are copied from
the notes; where the note files disagree with each other the d2l book
version is used and the difference is written next to the code.

Where each model comes from (seed file, section):

  lenet()     001_8b1ff151bb545969.txt "卷积神经网络（LeNet）" (d2l 6.6);
              also 004_cf91baba0d3bb9c5.txt "卷积神经网络(LeNet)".
  lenet_bn()  002_5ddade1cfa40def4.txt "7.5 Batch Normalization", "#简洁实现";
              also 004 "批量归一化", "# * 简洁实现" (d2l 7.5.4).
  alexnet()   000_1e403afead961751.txt "7.1 深度卷积神经网络（AlexNet）";
              also 001 "深度卷积神经网络AlexNet", 002 "7.1", 003_5d368124d07eda45.txt
              "深度卷积神经网络(AlexNet)", 004 "深度卷积神经网络(AlexNet)" (d2l 7.1).
  vgg11()     000 "7.2 使用块的网络（VGG）"; also 001, 002 "7.2", 003, 004 (d2l 7.2).
  nin()       002 "7.3 Network in Networks: NiN"; also 001 "网络中的网络NiN",
              004 "网络中的网络(NiN)" (d2l 7.3).
  googlenet() 002 "7.4 Networks with Parallel Connections: GoogLeNet";
              also 004 "含并行连结的网络(GoogLeNet)" (d2l 7.4).
  resnet18()  001 "残差网络 Resnet"; also 002 "7.6 Residual Networks(ResNet)",
              004 "残差网络(ResNet)" (d2l 7.6).
  densenet()  002 "7.7 Densely Connected Networks(DenseNet)" (d2l 7.7); the only
              seed with DenseNet.
  tied()      000 "5.2.3 参数绑定"; also 001, 004 (d2l 5.2.3): `shared` at
              positions 2 and 4 of one nn.Sequential.

The earlier chapters' models (the notes' chapters 2-4 are d2l's 3-5), each
with the initialisation the notes give it (functions beside the models):

  softmax_regression()  004 "Softmax回归的简洁实现" (d2l 3.7), init_weights_normal.
  mlp()                 004 "多层感知机的简洁实现" (d2l 4.3), init_weights_normal.
  dropout_mlp()         004 "暂退法(Dropout)", "# * 简洁实现" (d2l 4.6), init_weights_normal.
  mlp_sequential()      004 "模型构造" (d2l 5.1): the nn.Sequential 20-256-10; also described
                        in 000 "5.1.1 自定义块".
  MLP                   004 "模型构造", "# * 自定义块" (d2l 5.1.1): hidden and out, F.relu between.
  NestMLP               004 "模型构造", "# 混合搭配各种组合块" (d2l 5.1.3).
  param_net()           004 "参数管理" (d2l 5.2), with init_normal, init_constant, and
                        init_xavier/init_42 on net[0]/net[2]; also 000 "5.2.2 参数初始化", 001
                        "初始化参数".
  train_ch6_init        004 "卷积神经网络(LeNet)", `train_ch6` (d2l 6.6): Xavier for every
                        Linear and Conv2d; also 001 (its VGG and LeNet sections).

Not reproduced: MySequential (004 "模型构造", 001), which keys `_modules` by
the module objects themselves; FixedHiddenMLP (004), whose forward loops
while a sum is large; the from-scratch dropout `Net` (004 "暂退法"), whose
dropout is a function in its forward; `rgnet` (004 "参数管理"), whose module
names hold spaces (`'block 0'`), which specc's names cannot.

Not reproduced: the from-scratch ``BatchNorm`` LeNet (002/004; same layout as
lenet_bn() with BatchNorm(n, num_dims) in place of nn.BatchNorm2d/1d), and the
"slightly modified ResNet-18" ``resnet18(num_classes, in_channels=1)`` of 004's
multi-GPU section (d2l 12.6: 3x3 stem, no max pool); our resnet18() is d2l 7.6.

Every model is built fresh by its factory function (no shared module state),
with default PyTorch initialisation.  Iterate the top-level children the way
the seeds do:

    X = torch.randn(SEED_INPUTS[name])
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, 'output shape:\t', X.shape)

lenet_bn() contains nn.BatchNorm1d, which rejects a batch of one in training
mode ("Expected more than 1 value per channel when training"); run it in
eval() mode (or with a batch of 2+) for a shape walk.  The seeds never print a
shape walk for it (they train it on batches of 256).
"""

import torch
from torch import nn
from torch.nn import functional as F

# Input shapes used by the seeds (batch of 1; Fashion-MNIST is single-channel).
# alexnet/vgg/nin/resnet18 are walked at 224x224 in the notes (resnet18 is
# *trained* at resize=96 but its printed walk is at 224); googlenet and
# densenet are used at 96x96; the LeNets at 28x28.
SEED_INPUTS = {
    "lenet": (1, 1, 28, 28),
    "lenet_bn": (1, 1, 28, 28),  # batch 1: use eval() mode, see module docstring
    "alexnet": (1, 1, 224, 224),
    "vgg11": (1, 1, 224, 224),
    "vgg11_small": (1, 1, 224, 224),
    "nin": (1, 1, 224, 224),
    "googlenet": (1, 1, 96, 96),
    "resnet18": (1, 1, 224, 224),
    "densenet": (1, 1, 96, 96),
}


# --------------------------------------------------------------------------
# LeNet (d2l 6.6)
# --------------------------------------------------------------------------

def lenet():
    """Sigmoid LeNet on 1x28x28 (seed 001, d2l 6.6).

    Seed 004 puts a ``Reshape()`` module (``x.view(-1, 1, 28, 28)``) in front
    of the first conv, as in the older d2l text; the d2l 2.0 book (and 001)
    has no Reshape, so it is left out here.
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def lenet_bn():
    """LeNet with batch norm, concise version (seeds 002/004, d2l 7.5.4).

    Note: unlike lenet(), the first conv has no padding (28 -> 24), so the
    flattened size is 16*4*4 = 256.  The from-scratch version in the seeds
    writes ``nn.Linear(16*4*4, 120)``; the concise one writes 256.
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))


# --------------------------------------------------------------------------
# AlexNet (d2l 7.1)
# --------------------------------------------------------------------------

def alexnet():
    """AlexNet for 1x224x224 Fashion-MNIST (seeds 000/001/002/004, d2l 7.1).

    Quirks kept from the book: the first conv has padding=1, and the first
    Linear takes 6400 = 256*5*5 inputs.

    Seed 003 writes the first conv *without* padding
    (``nn.Conv2d(1, 96, kernel_size=11, stride=4)``); every other seed and the
    book have padding=1.  Both give 54x54 at 224 input
    (floor(213/4)+1 == floor(215/4)+1 == 54), so 003's printed table cannot
    tell them apart.
    """
    return nn.Sequential(
        nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(),
        nn.Dropout(p=0.5),
        nn.Linear(4096, 4096), nn.ReLU(),
        nn.Dropout(p=0.5),
        nn.Linear(4096, 10))


# --------------------------------------------------------------------------
# VGG (d2l 7.2)
# --------------------------------------------------------------------------

conv_arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels,
                                kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch):
    conv_blks = []
    in_channels = 1
    # 卷积层部分
    for (num_convs, out_channels) in conv_arch:
        conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels

    return nn.Sequential(
        *conv_blks, nn.Flatten(),
        # 全连接层部分 (out_channels is the loop variable's last value)
        nn.Linear(out_channels * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 10))


def vgg11(ratio=1):
    """VGG-11 (ratio=1) or the seeds' small VGG (ratio=4:
    [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)], printed in seed 003).

    The fully connected part keeps 4096 hidden units whatever the ratio.
    """
    small_conv_arch = [(pair[0], pair[1] // ratio) for pair in conv_arch]
    return vgg(small_conv_arch)


# --------------------------------------------------------------------------
# NiN (d2l 7.3)
# --------------------------------------------------------------------------

def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    # Seed 001 names the fourth parameter ``stride``; 002, 004 and the book
    # name it ``strides``.  Positional use makes them identical.
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def nin():
    """NiN for 1x224x224 (seeds 001/002/004, d2l 7.3), with the Dropout(0.5)
    before the last NiN block."""
    return nn.Sequential(
        nin_block(1, 96, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(96, 256, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, 384, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        # 标签类别数是10
        nin_block(384, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        # 将四维的输出转成二维的输出，其形状为(批量大小,10)
        nn.Flatten())


# --------------------------------------------------------------------------
# GoogLeNet (d2l 7.4)
# --------------------------------------------------------------------------

class Inception(nn.Module):
    # c1--c4是每条路径的输出通道数
    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        # 线路1，单1x1卷积层
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        # 线路2，1x1卷积层后接3x3卷积层
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        # 线路3，1x1卷积层后接5x5卷积层
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        # 线路4，3x3最大汇聚层后接1x1卷积层
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        # 在通道维度上连结输出
        return torch.cat((p1, p2, p3, p4), dim=1)


def googlenet():
    """GoogLeNet for 1x96x96 (seeds 002/004, d2l 7.4).  Top level is
    Sequential(b1, b2, b3, b4, b5, Linear(1024, 10))."""
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
                       nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    b2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=1),
                       nn.ReLU(),
                       nn.Conv2d(64, 192, kernel_size=3, padding=1),
                       nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    b3 = nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                       Inception(256, 128, (128, 192), (32, 96), 64),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    b4 = nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                       Inception(512, 160, (112, 224), (24, 64), 64),
                       Inception(512, 128, (128, 256), (24, 64), 64),
                       Inception(512, 112, (144, 288), (32, 64), 64),
                       Inception(528, 256, (160, 320), (32, 128), 128),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    b5 = nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                       Inception(832, 384, (192, 384), (48, 128), 128),
                       nn.AdaptiveAvgPool2d((1, 1)),
                       nn.Flatten())

    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, 10))


# --------------------------------------------------------------------------
# ResNet (d2l 7.6)
# --------------------------------------------------------------------------

class Residual(nn.Module):  #@save
    # Book version (seeds 001 and 004).  Two seed variants differ:
    # * 002 builds the shortcut as
    #   ``nn.Conv2d(num_channels, num_channels, kernel_size=1, stride=1)``,
    #   which is wrong (input channels and stride do not match the main path;
    #   resnet_block(64, 128, 2) would fail at run time).  The book has
    #   ``nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)``.
    # * 004 adds an unused ``self.relu = nn.ReLU(inplace=True)`` child (forward
    #   still uses F.relu); the book has no such attribute, so it is left out.
    def __init__(self, input_channels, num_channels,
                 use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels,
                               kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels,
                               kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels,
                                   kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals,
                 first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels,
                                use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def resnet18():
    """ResNet-18 with 10 classes (seeds 001/002/004, d2l 7.6).  The seeds
    print its shape walk at 1x224x224 (and train it at resize=96)."""
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(*resnet_block(64, 64, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(64, 128, 2))
    b4 = nn.Sequential(*resnet_block(128, 256, 2))
    b5 = nn.Sequential(*resnet_block(256, 512, 2))
    return nn.Sequential(b1, b2, b3, b4, b5,
                         nn.AdaptiveAvgPool2d((1, 1)),
                         nn.Flatten(), nn.Linear(512, 10))


# --------------------------------------------------------------------------
# DenseNet (d2l 7.7)
# --------------------------------------------------------------------------

def conv_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, input_channels, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(
                num_channels * i + input_channels, num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            # 连接通道维度上每个块的输入和输出
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))


def densenet():
    """DenseNet for 1x96x96 (seed 002, d2l 7.7): growth rate 32, four dense
    blocks of 4 convs, a transition halving the channels between blocks.
    Top level: b1, DenseBlock, transition, DenseBlock, transition, DenseBlock,
    transition, DenseBlock, BatchNorm2d(248), ReLU, AdaptiveAvgPool2d, Flatten,
    Linear(248, 10)."""
    b1 = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    # num_channels为当前的通道数
    num_channels, growth_rate = 64, 32
    num_convs_in_dense_blocks = [4, 4, 4, 4]
    blks = []
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        blks.append(DenseBlock(num_convs, num_channels, growth_rate))
        # 上一个稠密块的输出通道数
        num_channels += num_convs * growth_rate
        # 在稠密块之间添加一个转换层，使通道数量减半
        if i != len(num_convs_in_dense_blocks) - 1:
            blks.append(transition_block(num_channels, num_channels // 2))
            num_channels = num_channels // 2

    return nn.Sequential(
        b1, *blks,
        nn.BatchNorm2d(num_channels), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(num_channels, 10))


def tied():
    # 000 "5.2.3 参数绑定": "we need to give the shared layer a name to refer to its parameters"
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                         shared, nn.ReLU(),
                         shared, nn.ReLU(),
                         nn.Linear(8, 1))


# --------------------------------------------------------------------------
# The earlier chapters: softmax regression, MLPs, blocks (d2l 3.7-5.2)
# --------------------------------------------------------------------------

def init_weights_normal(m):
    # 004 "Softmax回归的简洁实现", "多层感知机的简洁实现" and "暂退法(Dropout)" alike: weights only
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


def softmax_regression():
    # 004 "Softmax回归的简洁实现": "Softmax回归的输出层是一个全连接层"
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def mlp():
    # 004 "多层感知机的简洁实现"
    return nn.Sequential(nn.Flatten(),
                         nn.Linear(784, 256),
                         nn.ReLU(),
                         nn.Linear(256, 10))


def dropout_mlp(dropout1=0.2, dropout2=0.5):
    # 004 "暂退法(Dropout)", "# * 简洁实现"
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Dropout(dropout1),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Dropout(dropout2),
        nn.Linear(256, 10))


def mlp_sequential():
    # 004 "模型构造", the first line of the section
    return nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))


class MLP(nn.Module):
    # 004 "模型构造", "# * 自定义块"
    def __init__(self):
        super().__init__()  # super()调用父类函数
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class NestMLP(nn.Module):
    # 004 "模型构造", "# 混合搭配各种组合块"
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(),
                                 nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


def param_net():
    # 004 "参数管理" (and 000 "5.2.2"): the net whose initialisation the section changes
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def init_normal(m):
    # 004 "参数管理", "# 内置初始化"
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, mean=0, std=0.01)
        nn.init.zeros_(m.bias)


def init_constant(m):
    # 004 "参数管理"
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)


def xavier(m):
    # 004 "参数管理", "# 对某些块应用不同的初始化方法": applied to net[0]
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)


def init_42(m):
    # 004 "参数管理": applied to net[2]
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)


def train_ch6_init(m):
    # 004 "卷积神经网络(LeNet)", inside `train_ch6`: `def init_weights(m)`
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)
