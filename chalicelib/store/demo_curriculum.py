"""Content of the demo MATH curriculum: the error taxonomy, its units/topics, prerequisites, exercises.

Pure data, read by :mod:`chalicelib.store.demo_seed`. The taxonomy is domain.md §6.5 (17 domains,
106 subdomains). As in the production seed (data-model.md §3.3, domain.md §1.4) every domain becomes
a unit whose code is the domain code and every subdomain a topic whose code is the subdomain code,
linked to both, so each rule-engine routing key ``<domain>_<subdomain>`` is reachable; three legacy
topics (T-SUB-BORROW, T-ADD-CARRY, T-FRAC-SAME-DENOM) sit in their own unit.

Exercises are written the way a student writes the first step, because the rule-engine strategies
parse exactly that (``53 - 26``, ``2,5 + 1,25``, ``3x - 5 = 16``, ``2^3 × 2^4``). Answers are numbers
(a fraction is its decimal value, domain.md §1.2); an exercise whose answer is not a number has no
``expectedAnswer``. Each topic lists its exercises from easiest to hardest.
"""
from __future__ import annotations

from dataclasses import dataclass

TopicKey = tuple[str, str]
"""A topic by (unit code, topic code) — topic codes repeat across units (data-model.md §3.3)."""


@dataclass(frozen=True)
class Domain:
    code: str
    name: str
    grade_level: int  # grade of the taxonomy unit made from this domain (where it is first taught)
    subdomains: tuple[tuple[str, str], ...]  # (code, Spanish name)


DOMAINS: tuple[Domain, ...] = (
    Domain("ARITH", "Aritmética", 3, (
        ("COUNT", "Conteo"), ("PLACE_VALUE", "Valor posicional"), ("ADD", "Adición"),
        ("SUB", "Sustracción"), ("MUL", "Multiplicación"), ("DIV", "División"),
        ("FACT_RECALL", "Cálculo mental de combinaciones básicas"))),
    Domain("INT", "Números enteros", 7, (
        ("SIGN", "Regla de los signos"), ("ADD", "Adición de enteros"),
        ("SUB", "Sustracción de enteros"), ("MUL", "Multiplicación de enteros"),
        ("DIV", "División de enteros"), ("ABS", "Valor absoluto"),
        ("COMPARE", "Comparación de enteros"))),
    Domain("FRACT", "Fracciones", 5, (
        ("REPR", "Representación de fracciones"), ("EQUIV", "Fracciones equivalentes"),
        ("REDUCE", "Simplificación de fracciones"), ("COMPARE", "Comparación de fracciones"),
        ("ADDSUB", "Adición y sustracción de fracciones"), ("MUL", "Multiplicación de fracciones"),
        ("DIV", "División de fracciones"), ("MIXED", "Números mixtos"))),
    Domain("DEC", "Números decimales", 5, (
        ("REPR", "Representación de decimales"), ("COMPARE", "Comparación de decimales"),
        ("ADD", "Adición de decimales"), ("SUB", "Sustracción de decimales"),
        ("MUL", "Multiplicación de decimales"), ("DIV", "División de decimales"),
        ("ROUND", "Redondeo"), ("FRACT_CONV", "Conversión entre fracciones y decimales"))),
    Domain("RATIO", "Razones, proporciones y porcentajes", 6, (
        ("RATIO", "Razones"), ("PROPORTION", "Proporciones"), ("PERCENT", "Porcentajes"),
        ("RULE_OF_THREE", "Regla de tres"))),
    Domain("ALGEBRA", "Álgebra", 7, (
        ("EXPR", "Expresiones algebraicas"), ("MONOMIAL", "Monomios"),
        ("EQ_LINEAR", "Ecuaciones lineales"), ("INEQ_LINEAR", "Inecuaciones lineales"),
        ("SYSTEM_2X2", "Sistemas de ecuaciones 2×2"), ("ABS_EQ", "Ecuaciones con valor absoluto"),
        ("EXPAND", "Desarrollo y productos notables"), ("FACTOR", "Factorización"),
        ("EQ_QUAD", "Ecuaciones cuadráticas"), ("INEQ_QUAD", "Inecuaciones cuadráticas"),
        ("POLY", "Polinomios"))),
    Domain("POW", "Potencias y raíces", 8, (
        ("POWER", "Potencias"), ("ROOT", "Raíces"), ("RATIONAL_EXP", "Exponentes racionales"),
        ("RATIONALIZE", "Racionalización"))),
    Domain("FUNC", "Funciones", 9, (
        ("EVAL", "Evaluación de funciones"), ("DOMAIN", "Dominio"), ("RANGE", "Recorrido"),
        ("COMPOSITION", "Composición de funciones"), ("INVERSE", "Función inversa"),
        ("LINEAR", "Función lineal y afín"), ("QUAD", "Función cuadrática"),
        ("EXP", "Función exponencial"), ("RATIONAL", "Funciones racionales"))),
    Domain("GEOM", "Geometría plana", 4, (
        ("ANGLE", "Ángulos"), ("TRIANGLE", "Triángulos"), ("QUAD_FIG", "Cuadriláteros"),
        ("CIRCLE", "Circunferencia y círculo"), ("AREA", "Área"), ("PERIMETER", "Perímetro"),
        ("SIMILARITY", "Semejanza"), ("CONGRUENCE", "Congruencia"),
        ("TRANSFORM", "Transformaciones isométricas"))),
    Domain("GEOM3D", "Cuerpos geométricos", 6, (
        ("PRISM", "Prismas"), ("CYLINDER", "Cilindros"), ("PYRAMID", "Pirámides"),
        ("CONE", "Conos"), ("SPHERE", "Esferas"), ("COMPOSITE", "Cuerpos compuestos"))),
    Domain("TRIG", "Trigonometría", 11, (
        ("RATIO", "Razones trigonométricas"), ("IDENTITY", "Identidades trigonométricas"),
        ("UNIT_CIRCLE", "Circunferencia unitaria"), ("RIGHT_TRIANGLE", "Triángulo rectángulo"),
        ("EQ_TRIG", "Ecuaciones trigonométricas"), ("GRAPH", "Gráficos trigonométricos"))),
    Domain("STAT", "Estadística y probabilidad", 6, (
        ("MEASURE_CENTRAL", "Medidas de tendencia central"),
        ("MEASURE_DISPERSION", "Medidas de dispersión"), ("PROB", "Probabilidad"),
        ("COMBINATORICS", "Combinatoria"))),
    Domain("DATA", "Datos y gráficos", 3, (
        ("TABLE", "Tablas"), ("BAR", "Gráficos de barras"), ("LINE", "Gráficos de líneas"),
        ("PIE", "Gráficos circulares"), ("PICTOGRAM", "Pictogramas"),
        ("FREQUENCY", "Tablas de frecuencia"))),
    Domain("LOG", "Logaritmos", 11, (
        ("DEF", "Definición de logaritmo"), ("PROPERTY", "Propiedades de los logaritmos"),
        ("EQ_LOG", "Ecuaciones logarítmicas"))),
    Domain("SEQ", "Sucesiones", 8, (
        ("PATTERN", "Patrones"), ("ARITHMETIC", "Sucesiones aritméticas"),
        ("GEOMETRIC", "Sucesiones geométricas"), ("RECURSIVE", "Sucesiones recursivas"))),
    Domain("COORD", "Geometría analítica", 10, (
        ("PLOT", "Plano cartesiano"), ("DISTANCE", "Distancia entre puntos"),
        ("MIDPOINT", "Punto medio"), ("LINE_EQ", "Ecuación de la recta"), ("VECTOR", "Vectores"))),
    Domain("TRANSV", "Errores transversales", 3, (
        ("ALIGNMENT", "Alineación de cifras"), ("TRANSPOSITION", "Transposición de dígitos"),
        ("NOTATION", "Notación"), ("UNIT", "Unidades de medida"),
        ("ORDER", "Orden de las operaciones"))),
)

LEGACY_UNIT_CODE = "LEGACY"
LEGACY_UNIT_NAME = "Temas iniciales"
LEGACY_UNIT_GRADE = 3

# (code, name, domain code, subdomain code): the routing key is <domain>_<subdomain>.
LEGACY_TOPICS: tuple[tuple[str, str, str, str], ...] = (
    ("T-SUB-BORROW", "Resta con reserva", "ARITH", "SUB"),
    ("T-ADD-CARRY", "Suma con reserva", "ARITH", "ADD"),
    ("T-FRAC-SAME-DENOM", "Fracciones de igual denominador", "FRACT", "ADDSUB"),
)

# (topic, prerequisite topic): what a student should master first.
PREREQUISITES: tuple[tuple[TopicKey, TopicKey], ...] = (
    (("ARITH", "ADD"), ("ARITH", "PLACE_VALUE")),
    (("ARITH", "SUB"), ("ARITH", "ADD")),
    (("ARITH", "MUL"), ("ARITH", "ADD")),
    (("ARITH", "DIV"), ("ARITH", "MUL")),
    (("ARITH", "DIV"), ("ARITH", "SUB")),
    (("LEGACY", "T-SUB-BORROW"), ("LEGACY", "T-ADD-CARRY")),
    (("FRACT", "EQUIV"), ("FRACT", "REPR")),
    (("FRACT", "ADDSUB"), ("FRACT", "EQUIV")),
    (("FRACT", "MUL"), ("ARITH", "MUL")),
    (("FRACT", "DIV"), ("FRACT", "MUL")),
    (("DEC", "ADD"), ("DEC", "REPR")),
    (("DEC", "MUL"), ("ARITH", "MUL")),
    (("DEC", "DIV"), ("DEC", "MUL")),
    (("INT", "SUB"), ("INT", "ADD")),
    (("INT", "MUL"), ("INT", "SIGN")),
    (("RATIO", "PERCENT"), ("DEC", "MUL")),
    (("RATIO", "PROPORTION"), ("RATIO", "RATIO")),
    (("ALGEBRA", "EQ_LINEAR"), ("ALGEBRA", "EXPR")),
    (("POW", "ROOT"), ("POW", "POWER")),
)

Exercise = tuple[str, float | None]
"""(prompt, expected numeric answer or None)."""

EXERCISES: dict[TopicKey, tuple[Exercise, ...]] = {
    # Legacy topics (rule engine: ARITH_SUB, ARITH_ADD, FRACT_ADDSUB).
    ("LEGACY", "T-SUB-BORROW"): (("53 - 26", 27), ("402 - 178", 224), ("1000 - 1", 999)),
    ("LEGACY", "T-ADD-CARRY"): (("38 + 27", 65), ("456 + 378", 834), ("999 + 1", 1000)),
    ("LEGACY", "T-FRAC-SAME-DENOM"): (("5/8 - 1/8", 4 / 8), ("3/7 + 2/7", 5 / 7), ("2/5 + 4/5", 6 / 5)),
    # ARITH
    ("ARITH", "COUNT"): (("¿Qué número sigue? 5, 10, 15, 20, …", 25),
                         ("Cuenta hacia atrás de 3 en 3: 30, 27, 24, … ¿Qué número sigue?", 21)),
    ("ARITH", "PLACE_VALUE"): (("Escribe el número que tiene 3 centenas, 4 decenas y 8 unidades", 348),
                               ("¿Qué valor tiene el dígito 7 en el número 4725?", 700)),
    ("ARITH", "ADD"): (("47 + 35", 82), ("268 + 457", 725), ("1596 + 2847", 4443)),
    ("ARITH", "SUB"): (("72 - 48", 24), ("503 - 267", 236), ("4000 - 1358", 2642)),
    ("ARITH", "MUL"): (("7 × 8", 56), ("23 × 40", 920), ("146 × 27", 3942)),
    ("ARITH", "DIV"): (("56 ÷ 7", 8), ("846 ÷ 6", 141), ("1035 ÷ 5", 207)),
    ("ARITH", "FACT_RECALL"): (("9 + 8", 17), ("6 × 7", 42)),
    # INT
    ("INT", "SIGN"): (("(-3) × 5", -15), ("(-4) × (-6)", 24)),
    ("INT", "ADD"): (("(-9) + 4", -5), ("(-7) + (-5)", -12), ("12 + (-15)", -3)),
    ("INT", "SUB"): (("5 - (-3)", 8), ("(-4) - 6", -10), ("(-8) - (-11)", 3)),
    ("INT", "MUL"): (("(-6) × 4", -24), ("(-7) × (-3)", 21), ("8 × (-9)", -72)),
    ("INT", "DIV"): (("(-36) ÷ 4", -9), ("(-45) ÷ (-5)", 9)),
    ("INT", "ABS"): (("|-17|", 17), ("|-8| + |3|", 11)),
    ("INT", "COMPARE"): (("¿Cuál es mayor: -12 o -5?", -5),
                         ("Ordena de menor a mayor: -3, 2, -7. ¿Cuál va primero?", -7)),
    # FRACT
    ("FRACT", "REPR"): (("Una cinta se divide en 5 partes iguales y se pintan 2. ¿Qué fracción está"
                         " pintada? (escríbela como decimal)", 2 / 5),
                        ("¿Qué fracción de una hora son 15 minutos? (escríbela como decimal)", 1 / 4)),
    ("FRACT", "EQUIV"): (("Completa: 2/3 = ?/12", 8), ("Completa: 3/5 = 9/?", 15)),
    ("FRACT", "REDUCE"): (("Simplifica 15/25 (escribe su valor decimal)", 3 / 5),
                          ("Simplifica 12/18 a su mínima expresión", None)),
    ("FRACT", "COMPARE"): (("¿Cuál es mayor: 3/4 o 5/8? (escríbela como decimal)", 3 / 4),
                           ("¿Cuál es menor: 2/3 o 3/5? (escríbela como decimal)", 3 / 5)),
    ("FRACT", "ADDSUB"): (("2/9 + 5/9", 7 / 9), ("7/10 - 3/10", 4 / 10), ("5/6 + 4/6", 9 / 6)),
    ("FRACT", "MUL"): (("3/4 × 2/7", 6 / 28), ("2/3 × 4/5", 8 / 15), ("5/6 × 3/10", 15 / 60)),
    ("FRACT", "DIV"): (("5/6 ÷ 5/12", 2), ("2/3 ÷ 4/9", 18 / 12), ("3/4 ÷ 2/5", 15 / 8)),
    ("FRACT", "MIXED"): (("Convierte 17/5 en número mixto. ¿Cuál es la parte entera?", 3),
                         ("1 1/2 + 2 1/4", 3.75)),
    # DEC
    ("DEC", "REPR"): (("Escribe 47 centésimos como número decimal", 0.47),
                      ("Escribe 3 décimos y 5 milésimos como número decimal", 0.305)),
    ("DEC", "COMPARE"): (("¿Cuál es mayor: 0,7 o 0,65?", 0.7), ("¿Cuál es menor: 2,09 o 2,1?", 2.09)),
    ("DEC", "ADD"): (("0,8 + 0,35", 1.15), ("2,5 + 1,25", 3.75), ("12,4 + 3,75", 16.15)),
    ("DEC", "SUB"): (("3 - 0,4", 2.6), ("5,2 - 1,75", 3.45), ("10,05 - 2,5", 7.55)),
    ("DEC", "MUL"): (("3,7 × 100", 370), ("0,3 × 0,2", 0.06), ("1,2 × 0,15", 0.18)),
    ("DEC", "DIV"): (("7,2 ÷ 8", 0.9), ("4,5 ÷ 0,5", 9), ("1,44 ÷ 1,2", 1.2)),
    ("DEC", "ROUND"): (("Redondea 3,456 a la décima", 3.5), ("Redondea 12,349 a la centésima", 12.35)),
    ("DEC", "FRACT_CONV"): (("Escribe 3/4 como número decimal", 0.75),
                            ("Escribe 0,2 como fracción irreducible. ¿Cuál es el denominador?", 5)),
    # RATIO
    ("RATIO", "RATIO"): (("La razón entre niñas y niños es 3:5 y hay 12 niñas. ¿Cuántos niños"
                          " hay?", 20),
                         ("Simplifica la razón 12:18. Si queda 2:b, ¿cuánto vale b?", 3)),
    ("RATIO", "PROPORTION"): (("3:4 = 15:x", 20), ("2/5 = 6/x", 15), ("5:7 = 15:x", 21)),
    ("RATIO", "PERCENT"): (("25% de 80", 20), ("15% de 200", 30), ("8% de 350", 28)),
    ("RATIO", "RULE_OF_THREE"): (("Si 4 cuadernos cuestan $3200, ¿cuánto cuestan 7 cuadernos?", 5600),
                                 ("3 personas pintan una pared en 12 horas. ¿Cuántas horas tardan"
                                  " 6 personas al mismo ritmo?", 6)),
    # ALGEBRA
    ("ALGEBRA", "EXPR"): (("Evalúa 3a + 2b con a = 4 y b = 5", 22),
                          ("Reduce 5x + 3x - 2x. ¿Cuál es el coeficiente de x?", 6)),
    ("ALGEBRA", "MONOMIAL"): (("¿Cuál es el coeficiente de 3x² · 4x³?", 12),
                              ("¿Cuál es el grado del monomio 7x³y²?", 5)),
    ("ALGEBRA", "EQ_LINEAR"): (("x + 7 = 15", 8), ("3x - 5 = 16", 7), ("2x + 9 = 3", -3)),
    ("ALGEBRA", "INEQ_LINEAR"): (("¿Cuál es el menor número entero que cumple 2x + 1 > 9?", 5),
                                 ("¿Cuál es el mayor número entero que cumple 3x - 4 ≤ 11?", 5)),
    ("ALGEBRA", "SYSTEM_2X2"): (("x + y = 10 y x - y = 4. ¿Cuánto vale x?", 7),
                                ("2x + y = 11 y x + y = 7. ¿Cuánto vale y?", 3)),
    ("ALGEBRA", "ABS_EQ"): (("|x - 3| = 5. Escribe la solución positiva", 8),
                            ("|2x| = 10. Escribe la solución negativa", -5)),
    ("ALGEBRA", "EXPAND"): (("Desarrolla (x + 3)². ¿Cuál es el término libre?", 9),
                            ("Desarrolla (x + 2)(x + 5). ¿Cuál es el coeficiente de x?", 7)),
    ("ALGEBRA", "FACTOR"): (("Factoriza x² - 9", None), ("Factoriza x² + 5x + 6", None)),
    ("ALGEBRA", "EQ_QUAD"): (("x² = 49. Escribe la solución positiva", 7),
                             ("x² - 5x + 6 = 0. Escribe la mayor solución", 3)),
    ("ALGEBRA", "INEQ_QUAD"): (("¿Cuál es el mayor número entero que cumple x² < 20?", 4),
                               ("¿Cuál es el mayor número entero que cumple x² - 9 ≤ 0?", 3)),
    ("ALGEBRA", "POLY"): (("¿Cuál es el grado de 4x⁵ - x² + 3?", 5),
                          ("Evalúa P(x) = x³ - 2x + 1 en x = 2", 5)),
    # POW
    ("POW", "POWER"): (("5^0", 1), ("2^3 × 2^4", 128), ("(3^2)^2", 81)),
    ("POW", "ROOT"): (("√81", 9), ("√144", 12), ("√(9 + 16)", 5)),
    ("POW", "RATIONAL_EXP"): (("27^(1/3)", 3), ("16^(3/4)", 8)),
    ("POW", "RATIONALIZE"): (("Racionaliza 1/√2. ¿Cuál es el denominador?", 2),
                             ("Racionaliza 6/√3", None)),
    # FUNC
    ("FUNC", "EVAL"): (("f(x) = 2x + 3. Calcula f(4)", 11), ("g(x) = x² - 1. Calcula g(-3)", 8)),
    ("FUNC", "DOMAIN"): (("¿Qué valor de x no pertenece al dominio de f(x) = 1/(x - 4)?", 4),
                         ("¿Cuál es el menor valor del dominio de f(x) = √(x - 2)?", 2)),
    ("FUNC", "RANGE"): (("¿Cuál es el valor mínimo del recorrido de f(x) = x² + 3?", 3),
                        ("¿Cuál es el valor máximo del recorrido de f(x) = -x² + 5?", 5)),
    ("FUNC", "COMPOSITION"): (("f(x) = x + 1 y g(x) = 2x. Calcula f(g(3))", 7),
                              ("f(x) = x + 1 y g(x) = 2x. Calcula g(f(3))", 8)),
    ("FUNC", "INVERSE"): (("f(x) = 3x - 2. Calcula f⁻¹(7)", 3), ("f(x) = x/2 + 1. Calcula f⁻¹(4)", 6)),
    ("FUNC", "LINEAR"): (("¿Cuál es la pendiente de y = 4x - 7?", 4),
                         ("Una recta pasa por (0, 2) y (3, 8). ¿Cuál es su pendiente?", 2)),
    ("FUNC", "QUAD"): (("¿Cuál es la coordenada x del vértice de f(x) = (x - 3)² + 1?", 3),
                       ("¿Cuál es el eje de simetría x = ? de f(x) = x² - 6x + 5", 3)),
    ("FUNC", "EXP"): (("f(x) = 2^x. Calcula f(5)", 32),
                      ("Una población de 100 bacterias se duplica cada hora. ¿Cuántas hay a las"
                       " 3 horas?", 800)),
    ("FUNC", "RATIONAL"): (("¿En qué valor de x está la asíntota vertical de f(x) = 3/(x + 2)?", -2),
                           ("¿Cuál es la asíntota horizontal y = ? de f(x) = (2x + 1)/(x - 1)", 2)),
    # GEOM
    ("GEOM", "ANGLE"): (("¿Cuánto mide el complemento de un ángulo de 35°?", 55),
                        ("¿Cuánto mide el suplemento de un ángulo de 110°?", 70)),
    ("GEOM", "TRIANGLE"): (("¿Cuánto mide cada ángulo de un triángulo equilátero?", 60),
                           ("Dos ángulos de un triángulo miden 50° y 60°. ¿Cuánto mide el"
                            " tercero?", 70)),
    ("GEOM", "QUAD_FIG"): (("¿Cuánto suman los ángulos interiores de un cuadrilátero?", 360),
                           ("Un ángulo de un paralelogramo mide 70°. ¿Cuánto mide un ángulo"
                            " consecutivo a él?", 110)),
    ("GEOM", "CIRCLE"): (("¿Cuánto mide el diámetro de una circunferencia de radio 7 cm?", 14),
                         ("¿Cuántos grados mide el ángulo del centro de un cuarto de círculo?", 90)),
    ("GEOM", "AREA"): (("Área en cm² de un rectángulo de 8 cm por 5 cm", 40),
                       ("Área en cm² de un triángulo de base 10 cm y altura 6 cm", 30)),
    ("GEOM", "PERIMETER"): (("Perímetro en cm de un cuadrado de lado 9 cm", 36),
                            ("Perímetro en cm de un rectángulo de 12 cm por 7 cm", 38)),
    ("GEOM", "SIMILARITY"): (("Dos triángulos semejantes están en razón 1:3. Un lado del menor mide"
                              " 4 cm. ¿Cuánto mide el lado correspondiente del mayor?", 12),
                             ("Dos figuras semejantes están en razón 2:5. Un lado de la mayor mide"
                              " 15 cm. ¿Cuánto mide el lado correspondiente de la menor?", 6)),
    ("GEOM", "CONGRUENCE"): (("Los triángulos ABC y DEF son congruentes y AB = 7 cm. ¿Cuánto mide DE?", 7),
                             ("Los triángulos ABC y DEF son congruentes y el ángulo A mide 40°."
                              " ¿Cuánto mide el ángulo D?", 40)),
    ("GEOM", "TRANSFORM"): (("Traslada el punto (2, 3) según el vector (4, -1). ¿Cuál es la nueva"
                             " coordenada x?", 6),
                            ("Refleja el punto (5, 2) respecto del eje y. ¿Cuál es la nueva"
                             " coordenada x?", -5)),
    # GEOM3D
    ("GEOM3D", "PRISM"): (("¿Cuántas caras tiene un prisma de base hexagonal?", 8),
                          ("Volumen en cm³ de un prisma rectangular de 3 cm × 4 cm × 5 cm", 60)),
    ("GEOM3D", "CYLINDER"): (("Volumen en cm³ de un cilindro de radio 1 cm y altura 10 cm (usa π = 3,14)",
                              31.4),
                             ("Volumen en cm³ de un cilindro de radio 2 cm y altura 5 cm (usa π = 3,14)",
                              62.8)),
    ("GEOM3D", "PYRAMID"): (("¿Cuántas aristas tiene una pirámide de base cuadrada?", 8),
                            ("Volumen en cm³ de una pirámide de base cuadrada de lado 6 cm y altura"
                             " 5 cm", 60)),
    ("GEOM3D", "CONE"): (("Un cono tiene radio 3 cm y altura 4 cm. ¿Cuánto mide su generatriz?", 5),
                         ("Volumen en cm³ de un cono de radio 3 cm y altura 4 cm (usa π = 3)", 36)),
    ("GEOM3D", "SPHERE"): (("¿Cuánto mide el diámetro de una esfera de radio 6 cm?", 12),
                           ("Volumen en cm³ de una esfera de radio 3 cm (usa π = 3)", 108)),
    ("GEOM3D", "COMPOSITE"): (("Se unen dos prismas de 10 cm³ y 15 cm³. ¿Cuál es el volumen total?", 25),
                              ("Un cubo de arista 2 cm está sobre otro de arista 4 cm. ¿Cuál es el"
                               " volumen total en cm³?", 72)),
    # TRIG
    ("TRIG", "RATIO"): (("Un triángulo rectángulo tiene catetos 3 y 4. ¿Cuánto vale el seno del"
                         " ángulo opuesto al cateto 3?", 0.6),
                        ("Un triángulo rectángulo tiene catetos 3 y 4. ¿Cuánto vale el coseno del"
                         " ángulo opuesto al cateto 3?", 0.8)),
    ("TRIG", "IDENTITY"): (("sen²(30°) + cos²(30°)", 1),
                           ("Si sen²α = 0,36, ¿cuánto vale cos²α?", 0.64)),
    ("TRIG", "UNIT_CIRCLE"): (("sen(30°)", 0.5), ("cos(180°)", -1)),
    ("TRIG", "RIGHT_TRIANGLE"): (("¿Cuánto mide la hipotenusa de un triángulo rectángulo de catetos"
                                  " 6 y 8?", 10),
                                 ("La hipotenusa mide 13 y un cateto 5. ¿Cuánto mide el otro cateto?", 12)),
    ("TRIG", "EQ_TRIG"): (("cos(x) = 0 con 0° < x < 180°. ¿Cuánto vale x en grados?", 90),
                          ("sen(x) = 1/2 con 0° < x < 90°. ¿Cuánto vale x en grados?", 30)),
    ("TRIG", "GRAPH"): (("¿Cuál es la amplitud de y = 3 sen(x)?", 3),
                        ("¿Cuál es el período de y = sen(2x), en grados?", 180)),
    # STAT
    ("STAT", "MEASURE_CENTRAL"): (("Calcula el promedio de 4, 8, 6 y 10", 7),
                                  ("Calcula la mediana de 3, 9, 5, 7 y 1", 5)),
    ("STAT", "MEASURE_DISPERSION"): (("Calcula el rango de 12, 5, 9, 20 y 7", 15),
                                     ("Calcula el rango de 3, 3, 8 y 15", 12)),
    ("STAT", "PROB"): (("Probabilidad de obtener un número par al lanzar un dado (como decimal)", 0.5),
                       ("Una urna tiene 3 bolitas rojas y 5 azules. Probabilidad de sacar una roja"
                        " (como decimal)", 3 / 8)),
    ("STAT", "COMBINATORICS"): (("¿Cuántas tenidas distintas se forman con 3 poleras y 2 pantalones?", 6),
                                ("¿De cuántas formas se pueden ordenar 4 libros distintos en una"
                                 " fila?", 24)),
    # DATA
    ("DATA", "TABLE"): (("Una tabla muestra 12 visitas el lunes, 15 el martes y 9 el miércoles."
                         " ¿Cuántas visitas hubo en total?", 36),
                        ("Con la misma tabla (12, 15 y 9 visitas), ¿cuántas visitas más hubo el martes"
                         " que el miércoles?", 6)),
    ("DATA", "BAR"): (("Un gráfico de barras muestra 8 votos para fútbol y 5 para básquetbol."
                       " ¿Cuántos votos más tiene fútbol?", 3),
                      ("Las barras de un gráfico muestran 4, 7 y 9 estudiantes. ¿Cuántos son en"
                       " total?", 20)),
    ("DATA", "LINE"): (("Un gráfico de líneas marca 18 °C a las 9:00 y 24 °C a las 12:00. ¿Cuántos"
                        " grados subió la temperatura?", 6),
                       ("Un gráfico de líneas muestra 120 ventas en enero y 90 en febrero. ¿Cuántas"
                        " ventas menos hubo en febrero?", 30)),
    ("DATA", "PIE"): (("¿Cuántos grados mide el sector que representa el 50% en un gráfico"
                       " circular?", 180),
                      ("En un gráfico circular sobre 40 estudiantes, un sector representa el 25%."
                       " ¿Cuántos estudiantes son?", 10)),
    ("DATA", "PICTOGRAM"): (("En un pictograma cada símbolo vale 5 libros. ¿Cuántos libros son"
                             " 4 símbolos?", 20),
                            ("En un pictograma cada símbolo vale 10 personas. ¿Cuántas personas"
                             " son 3 símbolos y medio?", 35)),
    ("DATA", "FREQUENCY"): (("En una encuesta 6 estudiantes eligen rojo, 9 azul y 5 verde. ¿Cuántos"
                             " estudiantes respondieron?", 20),
                            ("En la misma encuesta (6 rojo, 9 azul, 5 verde), ¿cuál es la frecuencia"
                             " relativa del azul? (como decimal)", 0.45)),
    # LOG
    ("LOG", "DEF"): (("log₂(8)", 3), ("log₃(81)", 4)),
    ("LOG", "PROPERTY"): (("log₂(4) + log₂(8)", 5), ("log(50) + log(2)", 2)),
    ("LOG", "EQ_LOG"): (("log₃(x) = 2. ¿Cuánto vale x?", 9), ("log₂(x) = 5. ¿Cuánto vale x?", 32)),
    # SEQ
    ("SEQ", "PATTERN"): (("¿Qué número sigue? 2, 4, 8, 16, …", 32),
                         ("¿Qué número sigue? 1, 4, 9, 16, …", 25)),
    ("SEQ", "ARITHMETIC"): (("¿Cuál es la diferencia de la sucesión 20, 17, 14, …?", -3),
                            ("¿Cuál es el término 10 de la sucesión 3, 7, 11, 15, …?", 39)),
    ("SEQ", "GEOMETRIC"): (("¿Cuál es el quinto término de la sucesión 3, 6, 12, …?", 48),
                           ("¿Cuál es la razón de la sucesión 81, 27, 9, …? (como decimal)", 1 / 3)),
    ("SEQ", "RECURSIVE"): (("a₁ = 2 y aₙ = aₙ₋₁ + 5. Calcula a₄", 17),
                           ("a₁ = 1 y aₙ = 2·aₙ₋₁ + 1. Calcula a₃", 7)),
    # COORD
    ("COORD", "PLOT"): (("¿Cuál es la ordenada del punto (5, -2)?", -2),
                        ("¿En qué cuadrante está el punto (-3, 4)? (escribe el número)", 2)),
    ("COORD", "DISTANCE"): (("Distancia entre (0, 0) y (3, 4)", 5), ("Distancia entre (1, 2) y (7, 10)", 10)),
    ("COORD", "MIDPOINT"): (("Coordenada x del punto medio entre (2, 5) y (8, 1)", 5),
                            ("Coordenada y del punto medio entre (2, 5) y (8, 1)", 3)),
    ("COORD", "LINE_EQ"): (("La recta y = 2x + 1 pasa por (3, y). ¿Cuánto vale y?", 7),
                           ("¿Cuál es la pendiente de la recta que pasa por (1, 1) y (3, 7)?", 3)),
    ("COORD", "VECTOR"): (("Componente x de la suma de los vectores (2, 3) y (4, -1)", 6),
                          ("Módulo del vector (6, 8)", 10)),
    # TRANSV
    ("TRANSV", "ALIGNMENT"): (("Suma en columna: 305 + 48", 353), ("Resta en columna: 1200 - 45", 1155)),
    ("TRANSV", "TRANSPOSITION"): (("Escribe con cifras: setenta y dos", 72),
                                  ("Copia el número 4721 y súmale 1", 4722)),
    ("TRANSV", "NOTATION"): (("Escribe 3 · 10³ como número", 3000), ("2,5 · 10²", 250)),
    ("TRANSV", "UNIT"): (("¿Cuántos minutos hay en 3 horas?", 180),
                         ("¿Cuántos centímetros hay en 2,5 metros?", 250)),
    ("TRANSV", "ORDER"): (("2 + 3 × 4", 14), ("(8 - 2) ÷ 3 + 1", 3), ("20 - 4 × 3 + 2", 10)),
}

# Demo IRT parameters by position from easiest to hardest: (discrimination a, difficulty b). The
# spread lands items in every difficulty band of the item bank (b ≤ −0.4 easy, ≥ 0.7 hard, api.md §2).
IRT_LADDERS: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((1.0, 0.0),),
    2: ((0.9, -0.6), (1.3, 0.8)),
    3: ((0.8, -0.9), (1.1, 0.1), (1.5, 1.0)),
}


def taxonomy_topics() -> list[tuple[str, str, str, str, str]]:
    """Every topic as (unit code, topic code, name, domain code, subdomain code)."""
    topics = [(LEGACY_UNIT_CODE, code, name, domain, subdomain)
              for code, name, domain, subdomain in LEGACY_TOPICS]
    for domain in DOMAINS:
        topics.extend((domain.code, code, name, domain.code, code) for code, name in domain.subdomains)
    return topics
