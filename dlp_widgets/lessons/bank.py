"""The lessons' questions and exercises, by id. Notebooks show them with ``dlp.question(id)`` and
``dlp.exercise(id)``; the progress view counts them per lesson."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .goals import Goal
from .questions import Choice, ChoiceQuestion, NumericQuestion, Question


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    notebook: str  # under notebooks/learn/


@dataclass(frozen=True)
class Exercise:
    id: str
    lesson: str
    title: str
    task: str  # what to do, in the learner's words
    goal: Goal


SPIRAL_BUDGET = 150  # the preset's 3 × 8 network (186) is over it: depth alone will not do

LESSONS: dict[str, Lesson] = {
    lesson.id: lesson
    for lesson in [
        Lesson("what-is-ml", "What is machine learning?", "01_what_is_machine_learning.ipynb"),
        Lesson("intro-nn", "Introduction to neural networks", "02_neural_networks.ipynb"),
        Lesson("loss-functions", "Loss functions", "03_loss_functions.ipynb"),
        Lesson("cnn-images", "Convolutional networks on images", "04_convolutional_networks.ipynb"),
        Lesson("overfitting", "Overfitting and regularisation", "05_overfitting.ipynb"),
        Lesson("boundaries", "Watch it learn: decision boundaries", "06_decision_boundaries.ipynb"),
    ]
}

_QUESTIONS: list[Question] = [
    # -- what is machine learning?
    ChoiceQuestion(
        "what-is-ml/supervised",
        "A spam filter learns from thousands of e-mails that people have already marked as spam or "
        "not spam. What kind of learning is this?",
        (
            Choice("Supervised learning", True, "Every example comes with the answer (its label)."),
            Choice("Unsupervised learning", False, "Unsupervised learning has no labels; here every e-mail has one."),
            Choice("Reinforcement learning", False, "There is no agent acting and collecting rewards here."),
        ),
        "Supervised learning fits a function from inputs to known answers, then uses it on new inputs.",
        lesson="what-is-ml",
    ),
    ChoiceQuestion(
        "what-is-ml/task",
        "You want to predict the price of a house from its size and location. Which task is it?",
        (
            Choice("Classification", False, "Classification picks one of a fixed set of classes; a price is a number."),
            Choice("Regression", True, "The answer is a number on a continuous scale."),
            Choice("Clustering", False, "Clustering groups unlabelled examples; here the prices are known."),
        ),
        "Regression predicts numbers, classification predicts classes. The loss and the metrics follow from it.",
        lesson="what-is-ml",
    ),
    ChoiceQuestion(
        "what-is-ml/test-split",
        "Why is part of the data held back as a test split?",
        (
            Choice("To train faster", False, "Fewer training rows is a side effect, not the purpose."),
            Choice(
                "To measure how well the model does on examples it never learned from",
                True,
                "A model can memorise its training rows; only unseen rows show whether it generalises.",
            ),
            Choice("Because the test rows are of lower quality", False, "Rows are split at random, not by quality."),
        ),
        "The test score estimates how the model will do on new data. Scaling statistics are computed on the "
        "training split only, so nothing about the test rows leaks into training.",
        lesson="what-is-ml",
    ),
    NumericQuestion(
        "what-is-ml/split-rows",
        "Iris has 150 rows. With a test split of 0.2, how many rows are used for training?",
        120,
        unit="rows",
        hint="The test split is the fraction held back; training gets the rest.",
        close_hints={30: "30 is the number of test rows; training gets the other 120."},
        explanation="0.2 × 150 = 30 rows for testing, 150 − 30 = 120 for training.",
        lesson="what-is-ml",
    ),
    # -- introduction to neural networks
    NumericQuestion(
        "intro-nn/linear-params",
        "How many trainable parameters does `Linear(in_features=4, out_features=32)` have?",
        160,
        unit="parameters",
        hint="Each output has one weight per input, and one bias.",
        close_hints={128: "That counts the weights (4 × 32) but not the 32 biases."},
        explanation="4 × 32 weights + 32 biases = 160.",
        lesson="intro-nn",
    ),
    ChoiceQuestion(
        "intro-nn/activation",
        "Why do we put an activation such as ReLU between two Linear layers?",
        (
            Choice(
                "Without it the two layers collapse into one linear function",
                True,
                "A linear function of a linear function is linear; the non-linearity is what adds power.",
            ),
            Choice("It makes training use less memory", False, "Activations add a little memory, if anything."),
            Choice("It normalises the inputs", False, "That is what BatchNorm or feature scaling do."),
        ),
        "Stacked Linear layers without activations can only draw straight decision boundaries. ReLU, Tanh or "
        "Sigmoid between them let the network bend its boundaries.",
        lesson="intro-nn",
    ),
    ChoiceQuestion(
        "intro-nn/output-size",
        "Wine has 3 classes. What must the last Linear layer's `out_features` be for classification?",
        (
            Choice("1", False, "One output suits regression or a single yes/no; here there are three classes."),
            Choice("3", True, "One score (logit) per class; CrossEntropyLoss turns them into probabilities."),
            Choice("13", False, "13 is the number of input features, not of classes."),
        ),
        "The network outputs one score per class; the predicted class is the one with the highest score.",
        lesson="intro-nn",
    ),
    ChoiceQuestion(
        "intro-nn/learning-rate",
        "The training loss jumps up and down and then becomes NaN. Which change helps most?",
        (
            Choice("Lower the learning rate", True, "Steps that are too large overshoot the minimum and blow up."),
            Choice("Train for more epochs", False, "More epochs of diverging steps only diverge further."),
            Choice("Use a larger batch size only", False, "It smooths the gradient a little but keeps the step size."),
        ),
        "The learning rate scales every update. Too large and the loss oscillates or diverges; too small and it "
        "barely moves.",
        lesson="intro-nn",
    ),
    # -- loss functions
    NumericQuestion(
        "loss-functions/cross-entropy",
        "A classifier gives probability 0.25 to the correct class of one example. What is the cross-entropy "
        "loss for that example (natural logarithm)?",
        math.log(4),
        tolerance=0.01,
        hint="Cross-entropy is −log(probability of the correct class).",
        explanation="−ln(0.25) = ln(4) ≈ 1.386. A probability of 1 would give a loss of 0.",
        lesson="loss-functions",
    ),
    NumericQuestion(
        "loss-functions/mse",
        "Predictions are 2 and 4; the targets are 1 and 1. What is the mean squared error?",
        5,
        tolerance=1e-9,
        hint="Square each error, then take the mean.",
        close_hints={2: "That is the mean absolute error (L1Loss): square the errors instead.", 10: "Take the mean."},
        explanation="Errors are 1 and 3; squares 1 and 9; their mean is 5.",
        lesson="loss-functions",
    ),
    ChoiceQuestion(
        "loss-functions/which",
        "Which loss fits a model that predicts one of 10 digit classes?",
        (
            Choice("CrossEntropyLoss", True, "It compares the predicted class probabilities with the true class."),
            Choice("MSELoss", False, "MSE suits numbers; for classes it learns slowly and gives poor probabilities."),
            Choice("L1Loss", False, "L1 is a regression loss."),
        ),
        "Classification: CrossEntropyLoss on raw scores (no Softmax layer before it). Regression: MSELoss or "
        "L1Loss; HuberLoss when outliers matter.",
        lesson="loss-functions",
    ),
    ChoiceQuestion(
        "loss-functions/outliers",
        "Your regression data has a few wildly wrong targets. Which losses are least pulled by them? "
        "(Select all that apply.)",
        (
            Choice("L1Loss", True, "It grows linearly with the error, so one huge error does not dominate."),
            Choice("HuberLoss", True, "Quadratic near zero, linear for large errors."),
            Choice("MSELoss", False, "Squaring makes the largest errors dominate the loss."),
        ),
        "Squared errors weigh outliers heavily; absolute errors much less.",
        lesson="loss-functions",
    ),
    # -- convolutional networks
    NumericQuestion(
        "cnn-images/conv-output",
        "A 28×28 grey image goes through `Conv2d(1, 6, kernel_size=5)` (stride 1, no padding). What is the "
        "height of the output?",
        24,
        unit="pixels",
        hint="The 5×5 window must fit inside the image.",
        close_hints={
            28: "That would need padding=2; without padding the border is lost.",
            23: "Off by one: the output is (28 − 5) / 1 + 1.",
        },
        explanation="(28 − 5) / 1 + 1 = 24, so the output is 6 × 24 × 24.",
        lesson="cnn-images",
    ),
    NumericQuestion(
        "cnn-images/conv-params",
        "How many trainable parameters does `Conv2d(in_channels=1, out_channels=6, kernel_size=5)` have?",
        156,
        unit="parameters",
        hint="Each of the 6 filters has a 1 × 5 × 5 kernel and one bias.",
        close_hints={150: "That counts the kernels (6 × 25) but not the 6 biases."},
        explanation="6 × (1 × 5 × 5) + 6 = 156, whatever the image size: the filters are shared over positions.",
        lesson="cnn-images",
    ),
    ChoiceQuestion(
        "cnn-images/pooling",
        "What does `MaxPool2d(kernel_size=2)` do to a 6 × 24 × 24 feature map?",
        (
            Choice("Gives 6 × 12 × 12", True, "It keeps the largest value of each 2×2 window, per channel."),
            Choice("Gives 3 × 24 × 24", False, "Pooling works within each channel; the channel count stays."),
            Choice(
                "Gives 6 × 23 × 23", False, "With stride equal to the kernel (the default), windows do not overlap."
            ),
        ),
        "Pooling halves height and width here and has no parameters to learn.",
        lesson="cnn-images",
    ),
    ChoiceQuestion(
        "cnn-images/why-conv",
        "Why does a CNN need far fewer parameters than a fully connected network on the same image?",
        (
            Choice(
                "Each filter is small and reused at every position",
                True,
                "A 5×5 filter has 25 weights whether the image is 28×28 or 1000×1000.",
            ),
            Choice("CNNs skip the bias", False, "Conv2d has a bias per output channel by default."),
            Choice("CNNs only look at the centre of the image", False, "The filter slides over the whole image."),
        ),
        "Weight sharing and local windows: the same feature detector is applied everywhere.",
        lesson="cnn-images",
    ),
    # -- overfitting
    ChoiceQuestion(
        "overfitting/symptom",
        "Training accuracy is 1.00 and test accuracy is 0.78, and the test loss has risen for ten epochs. "
        "What is happening?",
        (
            Choice("Overfitting", True, "The model memorises the training rows instead of the pattern."),
            Choice("Underfitting", False, "An underfit model is poor on the training data too."),
            Choice(
                "A bug in the test split", False, "A gap that grows with epochs is the classic sign of overfitting."
            ),
        ),
        "Watch both curves: when the test loss turns up while the training loss keeps falling, stop earlier or "
        "regularise.",
        lesson="overfitting",
    ),
    NumericQuestion(
        "overfitting/dropout-scale",
        "During training, `Dropout(p=0.2)` zeroes each value with probability 0.2. By what factor are the kept "
        "values multiplied?",
        1.25,
        tolerance=1e-6,
        hint="The expected value of each output must stay the same as without dropout.",
        close_hints={0.8: "That is the fraction kept; the kept values are divided by it."},
        explanation="Kept values are scaled by 1 / (1 − p) = 1 / 0.8 = 1.25, so nothing changes at test time.",
        lesson="overfitting",
    ),
    ChoiceQuestion(
        "overfitting/remedies",
        "Which of these reduce overfitting? (Select all that apply.)",
        (
            Choice("Dropout", True, "Random zeroing stops units relying on each other."),
            Choice("Weight decay", True, "It keeps the weights small, so the function stays smooth."),
            Choice("More training data", True, "The best cure when you can get it."),
            Choice("Many more epochs", False, "Longer training usually widens the gap."),
        ),
        "Regularisation trades a little training accuracy for better test accuracy.",
        lesson="overfitting",
    ),
    # -- decision boundaries
    ChoiceQuestion(
        "boundaries/linear",
        "A model with no hidden layer (one Linear layer) is trained on the circle: a disc of one class inside a "
        "ring of the other. What is the best it can do?",
        (
            Choice(
                "Draw one straight line and get the points on one side right",
                True,
                "Its score is w₁x₁ + w₂x₂ + b, so the two classes meet where that is zero: a straight line.",
            ),
            Choice("Learn the circle with enough epochs", False, "More epochs only move the line; it stays a line."),
            Choice(
                "Learn the circle with a larger learning rate", False, "The learning rate changes how fast, not what."
            ),
        ),
        "Without a hidden layer the boundary between two classes is always a straight line (a plane in more "
        "dimensions); a circle needs a curve.",
        lesson="boundaries",
    ),
    ChoiceQuestion(
        "boundaries/features",
        "Which extra input lets the same one-layer model separate the circle?",
        (
            Choice(
                "x₁² and x₂²", True, "w(x₁² + x₂²) + b = 0 is a circle: the line in the new inputs is a circle here."
            ),
            Choice(
                "sin x₁ alone", False, "sin x₁ depends on x₁ only; the circle depends on the distance from the centre."
            ),
            Choice("x₁ twice", False, "A copy of an input adds nothing the line did not have."),
        ),
        "A linear model on derived features draws a line in their space, which can be a curve in the plane.",
        lesson="boundaries",
    ),
    NumericQuestion(
        "boundaries/params",
        "How many trainable parameters has an MLP with 2 inputs, two hidden layers of 6 units and 2 outputs "
        "(Linear layers with bias)?",
        2 * 6 + 6 + 6 * 6 + 6 + 6 * 2 + 2,
        tolerance=0,
        hint="Each Linear layer has in × out weights and out biases.",
        close_hints={48 + 12 + 12: "Count the biases too: one for every output unit of every layer."},
        explanation="(2·6 + 6) + (6·6 + 6) + (6·2 + 2) = 18 + 42 + 14 = 74.",
        lesson="boundaries",
    ),
]
QUESTIONS: dict[str, Question] = {q.id: q for q in _QUESTIONS}

EXERCISES: dict[str, Exercise] = {
    e.id: e
    for e in [
        Exercise(
            "iris-90",
            "what-is-ml",
            "Your first classifier",
            "Train a network on Iris that reaches a test accuracy of at least 0.9.",
            Goal("test_accuracy", at_least=0.9, source="builtin:iris"),
        ),
        Exercise(
            "wine-90",
            "intro-nn",
            "Wine cultivars",
            "Build a network for Wine (13 features, 3 cultivars) that reaches a test accuracy of at least 0.9.",
            Goal("test_accuracy", at_least=0.9, source="builtin:wine"),
        ),
        Exercise(
            "diabetes-r2",
            "loss-functions",
            "A regression loss",
            "Train a regression network on Diabetes that reaches a test R² of at least 0.4.",
            Goal("test_r2", at_least=0.4, source="builtin:diabetes"),
        ),
        Exercise(
            "digits-cnn",
            "cnn-images",
            "Digits with a CNN",
            "Train a model with at least one Conv2d layer on the 8×8 digit images that reaches a test accuracy of "
            "at least 0.95.",
            Goal("test_accuracy", at_least=0.95, source="builtin:digits_images", needs_layer="Conv2d"),
        ),
        Exercise(
            "cancer-gap",
            "overfitting",
            "Close the gap",
            "On Breast cancer, reach a test accuracy of at least 0.93 with training and test accuracy no more than "
            "0.05 apart.",
            Goal("test_accuracy", at_least=0.93, source="builtin:breast_cancer", max_gap=0.05),
        ),
        Exercise(
            "spiral-budget",
            "boundaries",
            "The spiral on a budget",
            f"Separate the spiral (toy:spiral, any noise or derived features) with a test accuracy of at least 0.95, "
            f"using at most {SPIRAL_BUDGET} trainable parameters.",
            Goal("test_accuracy", at_least=0.95, source="toy:spiral", max_params=SPIRAL_BUDGET),
        ),
    ]
}


def lesson_items(lesson: str) -> list[str]:
    """The progress items of a lesson, in order: its questions, then its exercises."""
    return [f"question:{q}" for q, v in QUESTIONS.items() if v.lesson == lesson] + [
        f"exercise:{e}" for e, v in EXERCISES.items() if v.lesson == lesson
    ]
